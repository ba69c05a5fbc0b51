"""``reward_uploads.campaign_id`` references ``campaigns.id`` (ON DELETE RESTRICT): an upload never
outlives its campaign. The column keeps its type (UUID); existing rows are checked as the
constraint is added, so an upload of a campaign that does not exist stops the migration.

Written by hand: Piccolo's auto-migration would turn the UUID column into a ForeignKey with
``alter_column``, which SQLite cannot run (no ALTER COLUMN, no ADD CONSTRAINT, and the table cannot
be rebuilt while foreign keys are on and other tables reference it). So PostgreSQL gets a real
foreign key, SQLite triggers that refuse the same writes with SQLite's own message. Piccolo's
migration snapshot still sees a UUID column: an auto-migration of this app will propose that
``alter_column`` again; leave it out.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T07:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reward_uploads.campaign_id references campaigns"

_POSTGRES = [
    (
        "ALTER TABLE reward_uploads ADD CONSTRAINT reward_uploads_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES campaigns (id)"
        " ON DELETE RESTRICT ON UPDATE CASCADE"
    ),
]

_REFUSE = "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END"
_NO_CAMPAIGN = "NOT EXISTS (SELECT 1 FROM campaigns WHERE id = NEW.campaign_id)"
_SQLITE_ORPHANS = (
    "SELECT id FROM reward_uploads u WHERE NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = u.campaign_id) LIMIT 1"
)
_SQLITE = [
    f"CREATE TRIGGER reward_uploads_campaign_id_fkey_insert BEFORE INSERT ON reward_uploads WHEN {_NO_CAMPAIGN} {_REFUSE}",
    f"CREATE TRIGGER reward_uploads_campaign_id_fkey_update BEFORE UPDATE OF campaign_id ON reward_uploads WHEN {_NO_CAMPAIGN} {_REFUSE}",
    (
        "CREATE TRIGGER reward_uploads_campaign_id_fkey_delete BEFORE DELETE ON campaigns"
        f" WHEN EXISTS (SELECT 1 FROM reward_uploads WHERE campaign_id = OLD.id) {_REFUSE}"
    ),
    # ON UPDATE CASCADE, as on PostgreSQL (ids never change; this keeps the two engines alike).
    (
        "CREATE TRIGGER reward_uploads_campaign_id_fkey_cascade AFTER UPDATE OF id ON campaigns WHEN OLD.id <> NEW.id"
        " BEGIN UPDATE reward_uploads SET campaign_id = NEW.id WHERE campaign_id = OLD.id; END"
    ),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reward_uploads", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if engine.engine_type == "sqlite" and await engine.run_ddl(_SQLITE_ORPHANS):
            raise RuntimeError("reward_uploads has uploads of campaigns that do not exist: FOREIGN KEY constraint failed")
        for statement in _SQLITE if engine.engine_type == "sqlite" else _POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
