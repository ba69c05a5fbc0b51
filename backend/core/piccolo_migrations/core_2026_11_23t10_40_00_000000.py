"""The audit log is append-only: the database itself refuses UPDATE and DELETE on it.
Also indexes the outbox relay's query (pending events by enqueue time)."""

from backend.core.migrate import ddl_migration

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
    return ddl_migration(ID, "core", DESCRIPTION, _BOTH, sqlite=_SQLITE, postgres=_POSTGRES)
