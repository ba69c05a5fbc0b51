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
from backend.tickets.services import attachments, conversation, intake, reading
from backend.tickets.services.attachments import AttachmentUpload
from backend.tickets.views import CLAIM_PAGE, OpenedTicket


def recipient_actor(issuance_id: uuid.UUID) -> Actor:
    """The recipient, known by the claim link of ``issuance_id`` (what they may do is decided here)."""
    return Actor(kind=ActorKind.SYSTEM, id=None, label=f"recipient (claim page of reward {issuance_id})")


async def report_problem(
    issuance_id: uuid.UUID,
    category: str,
    message: str,
    idempotency_key: str | None = None,
    files: list[AttachmentUpload] = (),
) -> OpenedTicket:
    """The report, with the files the recipient attached (checked before anything is opened)."""
    checked = attachments.check_attachments(list(files))
    report = intake.TicketReport(category=category, message=message, source=CLAIM_PAGE, issuance_id=issuance_id)
    actor = recipient_actor(issuance_id)
    opened = await intake.open_ticket(actor, report, idempotency_key)
    if checked:
        async with write_transaction():
            await attachments.store(opened.ticket_id, None, checked, actor, utcnow())
    return opened


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


async def recipient_reply(issuance_id: uuid.UUID, ticket_id: uuid.UUID, body: str, files: list[AttachmentUpload] = ()) -> None:
    found = await _ticket_of_reward(issuance_id, ticket_id)
    checked = attachments.check_attachments(list(files))
    actor = recipient_actor(issuance_id)
    async with write_transaction():
        now = utcnow()
        events = await conversation.recipient_message(found, body, actor, now)
        await attachments.store(found, None, checked, actor, now)
        await audit.record(actor, "ticket.recipient_replied", "ticket", found)
    await outbox.ring(events)


async def recipient_files(issuance_id: uuid.UUID, ticket_id: uuid.UUID) -> list[str]:
    """The names of the files the ticket holds (the recipient sees names, never downloads)."""
    found = await _ticket_of_reward(issuance_id, ticket_id)
    return [
        view.file_name for view in await attachments.ticket_attachments(recipient_actor(issuance_id), found) if not view.purged_at
    ]


async def rate_resolution(issuance_id: uuid.UUID, ticket_id: uuid.UUID, score: int) -> None:
    """The one-click CSAT on the ticket page, once, after resolution."""
    await conversation.rate(recipient_actor(issuance_id), await _ticket_of_reward(issuance_id, ticket_id), score)
