"""The indexes issuances are read through: a campaign's issuances by status (newest first), a
recipient's rewards, and the ledger's link back from a points transfer."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T14:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reward issuance indexes"

_STATEMENTS = [
    "CREATE INDEX reward_issuances_by_campaign ON reward_issuances (campaign, status, id)",
    "CREATE INDEX reward_issuances_by_recipient ON reward_issuances (recipient_id, id)",
    "ALTER TABLE reward_issuances ADD CONSTRAINT reward_issuances_value_positive CHECK (value > 0)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="rewards", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in _STATEMENTS:
            if statement.startswith("ALTER") and engine.engine_type == "sqlite":
                continue  # SQLite cannot add a CHECK to a table; the service validates the value
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
