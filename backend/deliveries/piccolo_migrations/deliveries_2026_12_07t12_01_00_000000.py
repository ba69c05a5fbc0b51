"""Claim events are append-only and come once per delivery and kind: a second activation (a double
click, two tabs) inserts nothing, decided by the unique index, not by a read before the write."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T12:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "claim events: one per delivery and kind; append-only"

_SQLITE = [
    """CREATE TRIGGER claim_events_no_update BEFORE UPDATE ON claim_events
       BEGIN SELECT RAISE(ABORT, 'claim_events is append-only'); END""",
    """CREATE TRIGGER claim_events_no_delete BEFORE DELETE ON claim_events
       BEGIN SELECT RAISE(ABORT, 'claim_events is append-only'); END""",
]
_POSTGRES = [
    """CREATE OR REPLACE FUNCTION claim_events_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'claim_events is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER claim_events_append_only BEFORE UPDATE OR DELETE ON claim_events
       FOR EACH ROW EXECUTE FUNCTION claim_events_refuse_change()""",
]
_BOTH = ["CREATE UNIQUE INDEX claim_events_delivery_kind ON claim_events (delivery, kind)"]


async def forwards():
    return ddl_migration(ID, "deliveries", DESCRIPTION, _BOTH, sqlite=_SQLITE, postgres=_POSTGRES)
