"""Core tables: the append-only audit log, the transactional outbox and idempotency records."""

from piccolo.columns import JSON, UUID, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class AuditEvent(Table, tablename="audit_events"):
    """Append-only: a database trigger refuses UPDATE and DELETE (see the core migrations). Indexed
    by (entity_type, entity_id, id) and occurred_at, in the migrations: what the log is queried by."""

    id = UUID(primary_key=True, default=UUID7Default())
    occurred_at = Timestamptz(index=True)
    actor_kind = Varchar(length=16)
    actor_id = UUID(null=True, default=None)
    actor_label = Varchar(length=255)
    action = Varchar(length=100)
    entity_type = Varchar(length=50)
    entity_id = Varchar(length=100)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    request_id = Varchar(length=64, null=True, default=None)


class OutboxEvent(Table, tablename="outbox_events"):
    """An event written in the same transaction as the state change that caused it."""

    id = UUID(primary_key=True, default=UUID7Default())
    topic = Varchar(length=100)
    payload = JSON()
    status = Varchar(length=16, default="pending")  # indexed with enqueued_at (the relay's query), in the migrations
    created_at = Timestamptz()
    enqueued_at = Timestamptz(null=True, default=None)
    processed_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text(null=True, default=None)


class IdempotencyRecord(Table, tablename="idempotency_records"):
    """The first result of a write from outside, kept under the caller's key (see core/idempotency.py).

    Written in the same transaction as the effect; the unique index on (caller, key) (created in
    the core migrations) is what makes a concurrent second call wait for the first, then replay it."""

    id = UUID(primary_key=True, default=UUID7Default())
    caller = Varchar(length=150)
    key = Varchar(length=200)
    request_hash = Varchar(length=64)
    response = JSON()
    created_at = Timestamptz(index=True)
