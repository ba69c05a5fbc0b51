"""What every ticket use case shares: taking the ticket's row for the transaction, changing its
status (with the webhook event and the audit entry), and adding a message."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.core import audit, outbox, sql
from backend.core.authz import Actor
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.tickets.views import STATUS_CHANGED

MAX_BODY = 10_000


async def take(ticket_id: uuid.UUID, now: datetime):
    """The ticket's row, locked until the transaction ends (an UPDATE locks on both databases:
    PostgreSQL's row lock, SQLite's write lock taken by BEGIN IMMEDIATE)."""
    row = await sql.fetchrow("UPDATE tickets SET updated_at = $2 WHERE id = $1 RETURNING *", ticket_id, now)
    if row is None:
        raise NotFound("ticket", ticket_id, field="ticket_id")
    return row


def checked_body(body: str, field: str = "body") -> str:
    check_text(field, body, multiline=True)
    body = (body or "").strip()
    if not body:
        raise DomainError.single("EMPTY_MESSAGE", "write a message", field=field)
    if len(body) > MAX_BODY:
        raise DomainError.single("MESSAGE_TOO_LONG", f"a message is at most {MAX_BODY} characters", field=field)
    return body


async def add_message(ticket_id: uuid.UUID, kind: str, body: str, actor: Actor, now: datetime) -> uuid.UUID:
    message_id = new_id()
    await sql.fetch(
        """INSERT INTO ticket_messages (id, ticket, kind, body, author_id, author_label, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        message_id,
        ticket_id,
        kind,
        body,
        actor.id,
        actor.label,
        now,
    )
    return message_id


async def set_status(row, status: str, actor: Actor, now: datetime, extra: str = "", args: tuple = ()) -> uuid.UUID | None:
    """Move the ticket to ``status`` (``extra``: more ``col = $n`` assignments from $3 on, with
    ``args``); returns the status event to ring after commit, None when the status is unchanged."""
    if row["status"] == status and not extra:
        return None
    await sql.fetch(f"UPDATE tickets SET status = $2{extra} WHERE id = $1", row["id"], status, *args)
    if row["status"] == status:
        return None
    await audit.record(actor, "ticket.status_changed", "ticket", row["id"], {"status": row["status"]}, {"status": status})
    return await outbox.add(
        STATUS_CHANGED,
        {
            "ticket_id": str(row["id"]),
            "programme_id": str(row["programme_id"]),
            "issuance_id": str(row["issuance_id"]) if row["issuance_id"] else None,
            "previous_status": row["status"],
            "status": status,
            "priority": row["priority"],
            "changed_at": now.isoformat(),
        },
    )
