"""Tickets mutations: openTicket for integrators' own help desks, replyToTicket. Parse the input,
call the tickets services, render the result or the refusal (nothing changed)."""

from __future__ import annotations

import strawberry

from backend.api.partners.ids import entity_id
from backend.api.partners.mutations import answer
from backend.api.permissions import requires
from backend.api.tickets.types import (
    OpenTicketInput,
    OpenTicketPayload,
    ReplyToTicketInput,
    ReplyToTicketPayload,
    TicketStatus,
)
from backend.core.authz import Permission
from backend.tickets.services import conversation, intake
from backend.tickets.views import API


@strawberry.type
class TicketMutations:
    @strawberry.mutation(
        extensions=requires(Permission.TICKETS_WRITE, refusal=OpenTicketPayload.refused),
        description="Open a ticket for a recipient (or join the open one on the same reward). Takes an idempotency key.",
    )
    async def open_ticket(self, info: strawberry.Info, input: OpenTicketInput) -> OpenTicketPayload:
        async def open_() -> OpenTicketPayload:
            report = intake.TicketReport(
                category=input.category.value,
                message=input.message,
                source=API,
                subject=input.subject,
                issuance_id=entity_id(input.reward_id, "reward", "reward_id") if input.reward_id else None,
                programme_id=entity_id(input.programme_id, "programme", "programme_id") if input.programme_id else None,
                recipient_id=entity_id(input.recipient_id, "recipient", "recipient_id") if input.recipient_id else None,
            )
            opened = await intake.open_ticket(info.context.actor, report, input.idempotency_key)
            return OpenTicketPayload(ticket_id=strawberry.ID(str(opened.ticket_id)), joined=opened.joined, errors=[])

        return await answer(OpenTicketPayload.refused, open_)

    @strawberry.mutation(
        extensions=requires(Permission.TICKETS_WRITE, refusal=ReplyToTicketPayload.refused),
        description="Reply to the recipient, add an internal note, or relay the recipient's answer (which resumes the SLA "
        "clocks and reopens a resolved ticket within the programme's window). Takes an idempotency key.",
    )
    async def reply_to_ticket(self, info: strawberry.Info, input: ReplyToTicketInput) -> ReplyToTicketPayload:
        async def reply() -> ReplyToTicketPayload:
            written = await conversation.reply(
                info.context.actor,
                entity_id(input.ticket_id, "ticket", "ticket_id"),
                input.body,
                author=input.author.value,
                await_recipient=input.await_recipient,
                idempotency_key=input.idempotency_key,
            )
            return ReplyToTicketPayload(
                ticket_id=strawberry.ID(str(written.ticket_id)),
                message_id=strawberry.ID(str(written.message_id)),
                status=TicketStatus(written.status),
                errors=[],
            )

        return await answer(ReplyToTicketPayload.refused, reply)
