"""The recipient's side of the desk, for the claim page: the claim link's token has already named
the reward (the claim page resolves it through deliveries), so the recipient reports a problem on
it, reads their ticket's thread (internal notes never shown), answers, and rates the resolution
once. The recipient is not a user: the actor names them by the reward."""

from __future__ import annotations

import uuid

from backend.core import audit, outbox, sql
from backend.core.authz import Actor, ActorKind
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import NotFound
from backend.tickets.services import conversation, intake, reading
from backend.tickets.views import CLAIM_PAGE, OpenedTicket


def recipient_actor(issuance_id: uuid.UUID) -> Actor:
    """The recipient, known by the claim link of ``issuance_id`` (what they may do is decided here)."""
    return Actor(kind=ActorKind.SYSTEM, id=None, label=f"recipient (claim page of reward {issuance_id})")


async def report_problem(issuance_id: uuid.UUID, category: str, message: str, idempotency_key: str | None = None) -> OpenedTicket:
    report = intake.TicketReport(category=category, message=message, source=CLAIM_PAGE, issuance_id=issuance_id)
    return await intake.open_ticket(recipient_actor(issuance_id), report, idempotency_key)


async def _ticket_of_reward(issuance_id: uuid.UUID, ticket_id: uuid.UUID | None) -> uuid.UUID:
    """The reward's ticket named by ``ticket_id`` (or its latest): never another reward's."""
    if ticket_id is None:
        row = await sql.fetchrow("SELECT id FROM tickets WHERE issuance_id = $1 ORDER BY id DESC LIMIT 1", issuance_id)
    else:
        row = await sql.fetchrow("SELECT id FROM tickets WHERE id = $1 AND issuance_id = $2", ticket_id, issuance_id)
    if row is None:
        raise NotFound("ticket", ticket_id or f"of reward {issuance_id}", field="ticket_id")
    return row["id"]


async def recipient_thread(issuance_id: uuid.UUID, ticket_id: uuid.UUID | None = None) -> reading.TicketThread:
    """The ticket as its recipient sees it: no internal notes."""
    found = await _ticket_of_reward(issuance_id, ticket_id)
    thread = await reading.get_ticket(recipient_actor(issuance_id), found, include_notes=False)
    return thread


async def recipient_reply(issuance_id: uuid.UUID, ticket_id: uuid.UUID, body: str) -> None:
    found = await _ticket_of_reward(issuance_id, ticket_id)
    actor = recipient_actor(issuance_id)
    async with write_transaction():
        events = await conversation.recipient_message(found, body, actor, utcnow())
        await audit.record(actor, "ticket.recipient_replied", "ticket", found)
    await outbox.ring(events)


async def rate_resolution(issuance_id: uuid.UUID, ticket_id: uuid.UUID, score: int) -> None:
    """The one-click CSAT on the ticket page, once, after resolution."""
    await conversation.rate(recipient_actor(issuance_id), await _ticket_of_reward(issuance_id, ticket_id), score)
