"""Reading deliveries: a reward's delivery, a delivery's attempts, and the sandbox's inbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc
from backend.core.db import icontains
from backend.core.errors import DomainError, NotFound
from backend.core.views import Page
from backend.deliveries.tables import SandboxMessage
from backend.deliveries.views import AttemptView, DeliveryView, SandboxMessageView, attempt_view, delivery_view
from backend.recipients.services.validation import CHANNELS


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


@dataclass(frozen=True)
class InboxFilter:
    programme_id: uuid.UUID | None = None
    channel: str | None = None
    recipient: str | None = None  # part of the address or number, any case


def _inbox_query(query, wanted: InboxFilter):
    if wanted.programme_id is not None:
        query = query.where(SandboxMessage.programme_id == wanted.programme_id)
    if wanted.channel:
        query = query.where(SandboxMessage.channel == wanted.channel)
    if wanted.recipient and wanted.recipient.strip():
        query = query.where(icontains(SandboxMessage.recipient, wanted.recipient.strip()))
    return query


async def sandbox_messages(actor: Actor, wanted: InboxFilter = InboxFilter(), *, offset: int = 0, limit: int = 50) -> Page:
    """The sandbox's messages, newest first, one page at a time (rows: SandboxMessageView)."""
    actor.require(Permission.DELIVERIES_READ)
    if wanted.channel and wanted.channel not in CHANNELS:
        raise DomainError.single("INVALID_CHANNEL", f"the channel is one of {', '.join(CHANNELS)}", "channel")
    rows = await (
        _inbox_query(SandboxMessage.select(), wanted)
        .order_by(SandboxMessage.created_at, SandboxMessage.id, ascending=False)
        .offset(max(offset, 0))
        .limit(max(1, min(limit, 500)))
    )
    return Page(rows=[_sandbox_message(row) for row in rows], total=await _inbox_query(SandboxMessage.count(), wanted))


async def sandbox_message(actor: Actor, message_id: uuid.UUID) -> SandboxMessageView:
    actor.require(Permission.DELIVERIES_READ)
    row = await SandboxMessage.select().where(SandboxMessage.id == message_id).first()
    if row is None:
        raise NotFound("sandbox message", message_id, field="message_id")
    return _sandbox_message(row)


async def sandbox_inbox(actor: Actor, programme_id: uuid.UUID | None = None, limit: int = 50) -> list[SandboxMessageView]:
    """The sandbox's newest messages."""
    return (await sandbox_messages(actor, InboxFilter(programme_id=programme_id), limit=limit)).rows


def _sandbox_message(row) -> SandboxMessageView:
    return SandboxMessageView(
        id=row["id"],
        delivery_id=row["delivery_id"],
        channel=row["channel"],
        recipient=row["recipient"],
        subject=row["subject"],
        html=row["html"],
        text=row["text"],
        created_at=as_utc(row["created_at"]),
    )
