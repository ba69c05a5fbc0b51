"""Index what is queried, and nothing else: every ledger change, issuance and admin action writes
an audit entry and most write an outbox event, so each needless index is paid on every write.

* audit_events: the log is read by entity (its history, newest first), by time range, and paged
  newest first by id. A (entity_type, entity_id, id) index serves the entity history and the list
  of entity types; ``occurred_at`` stays for date ranges. Dropped: the single-column indexes on
  entity_type and entity_id (the composite covers them), actor_id (never queried), actor_label
  (the actor filter is a case-insensitive substring match, which a btree cannot serve) and action
  (a LIKE prefix, which a btree serves only under the C collation).
* outbox_events: ``status`` alone is the leading column of (status, enqueued_at) already.
"""

from backend.core.migrate import ddl_migration

ID = "2026-12-02T08:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit and outbox indexes: what is queried only"

_STATEMENTS = [
    "CREATE INDEX audit_events_by_entity ON audit_events (entity_type, entity_id, id)",
    "DROP INDEX IF EXISTS audit_events_entity_type",
    "DROP INDEX IF EXISTS audit_events_entity_id",
    "DROP INDEX IF EXISTS audit_events_actor_id",
    "DROP INDEX IF EXISTS audit_events_actor_label",
    "DROP INDEX IF EXISTS audit_events_action",
    "DROP INDEX IF EXISTS outbox_events_status",
]


async def forwards():
    return ddl_migration(ID, "core", DESCRIPTION, _STATEMENTS)
