"""One idempotency record per (caller, key). A unique index rather than Piccolo's Unique
constraint, which 1.38 adds with ALTER TABLE, which SQLite cannot do."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T11:55:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique idempotency key per caller"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX idempotency_records_caller_key ON idempotency_records (caller, key)")

    manager.add_raw(run)
    return manager
