"""The audit log is append-only: the database itself refuses UPDATE and DELETE on it.
Also indexes the outbox relay's query (pending events by enqueue time)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T10:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only audit log; outbox relay index"

_SQLITE = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]
_POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()""",
]
_BOTH = ["CREATE INDEX outbox_events_pending ON outbox_events (status, enqueued_at)"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in (_SQLITE if engine.engine_type == "sqlite" else _POSTGRES) + _BOTH:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
