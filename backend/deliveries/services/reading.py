"""Reading deliveries: a reward's delivery, a delivery's attempts, and the sandbox's inbox."""

from __future__ import annotations

import uuid

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc
from backend.core.errors import DomainError, NotFound
from backend.deliveries.views import (
    DELIVERY_STATUSES,
    AttemptView,
    DeliveryView,
    SandboxMessageView,
    attempt_view,
    delivery_view,
)


async def get_delivery(actor: Actor, delivery_id: uuid.UUID) -> DeliveryView:
    actor.require(Permission.DELIVERIES_READ)
    row = await sql.fetchrow("SELECT * FROM deliveries WHERE id = $1", delivery_id)
    if row is None:
        raise NotFound("delivery", delivery_id, field="delivery_id")
    return delivery_view(row)


async def delivery_of_reward(actor: Actor, issuance_id: uuid.UUID) -> DeliveryView | None:
    actor.require(Permission.DELIVERIES_READ)
    row = await sql.fetchrow("SELECT * FROM deliveries WHERE issuance_id = $1", issuance_id)
    return delivery_view(row) if row is not None else None


async def count_deliveries(actor: Actor, status: str) -> int:
    """How many deliveries are in one status (pending, sending, sent, failed): the inbox counts the failed."""
    actor.require(Permission.DELIVERIES_READ)
    if status not in DELIVERY_STATUSES:
        raise DomainError.single("INVALID_STATUS", f"a delivery is {', '.join(DELIVERY_STATUSES)}", field="status")
    row = await sql.fetchrow("SELECT COUNT(*) AS n FROM deliveries WHERE status = $1", status)
    return int(row["n"])


async def recipient_deliveries(actor: Actor, recipient_id: uuid.UUID, limit: int = 20) -> list[DeliveryView]:
    """A recipient's deliveries, newest first (the recipient page's card)."""
    actor.require(Permission.DELIVERIES_READ)
    rows = await sql.fetch(
        "SELECT * FROM deliveries WHERE recipient_id = $1 ORDER BY id DESC LIMIT $2", recipient_id, max(1, min(limit, 200))
    )
    return [delivery_view(row) for row in rows]


async def attempts(actor: Actor, delivery_id: uuid.UUID) -> list[AttemptView]:
    actor.require(Permission.DELIVERIES_READ)
    rows = await sql.fetch("SELECT * FROM delivery_attempts WHERE delivery = $1 ORDER BY number", delivery_id)
    return [attempt_view(row) for row in rows]


async def sandbox_inbox(actor: Actor, programme_id: uuid.UUID | None = None, limit: int = 50) -> list[SandboxMessageView]:
    """The sandbox's messages, newest first."""
    actor.require(Permission.DELIVERIES_READ)
    limit = max(1, min(limit, 500))
    if programme_id is None:
        rows = await sql.fetch("SELECT * FROM sandbox_messages ORDER BY created_at DESC, id DESC LIMIT $1", limit)
    else:
        rows = await sql.fetch(
            "SELECT * FROM sandbox_messages WHERE programme_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            programme_id,
            limit,
        )
    return [
        SandboxMessageView(
            id=row["id"],
            delivery_id=row["delivery_id"],
            channel=row["channel"],
            recipient=row["recipient"],
            subject=row["subject"],
            html=row["html"],
            text=row["text"],
            created_at=as_utc(row["created_at"]),
        )
        for row in rows
    ]
