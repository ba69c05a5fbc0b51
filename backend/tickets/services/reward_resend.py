"""Resending the reward as a ticket action, through the deliveries domain's resend service (which
puts a failed or pending delivery back in line, optionally on another channel or to a corrected
contact). A delivery that a provider accepted already cannot be sent again under its own id (the
providers would deduplicate it into nothing): the recipient is sent its claim link in a new
message instead. Recorded on the ticket as a done action, audited; no approval (nothing of value
changes hands)."""

from __future__ import annotations

import uuid

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, NotFound
from backend.deliveries.services import notices, resending
from backend.tickets.services import recipient_notices, records
from backend.tickets.services.action_rows import (
    RESEND_REWARD,
    ActionView,
    acting_for_ticket,
    action_view,
    insert_action,
    mark_done,
)
from backend.tickets.views import CLOSED


async def resend_reward(
    actor: Actor, ticket_id: uuid.UUID, *, channel: str | None = None, contact: str | None = None
) -> ActionView:
    actor.require(Permission.TICKETS_WRITE)
    ticket = await sql.fetchrow("SELECT * FROM tickets WHERE id = $1", ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id, field="ticket_id")
    if ticket["status"] == CLOSED:
        raise DomainError.single("TICKET_CLOSED", "this ticket is closed", field="ticket_id")
    if ticket["issuance_id"] is None:
        raise DomainError.single("NO_REWARD", "this ticket is not about a reward", field="ticket_id")
    how = "resent"
    try:
        resent = await resending.resend_reward(
            acting_for_ticket(actor, Permission.DELIVERIES_WRITE), ticket["issuance_id"], channel=channel, contact=contact
        )
        how = f"resent by {resent.resent.channel} to {resent.resent.contact}"
    except DomainError as error:
        if error.code != resending.ALREADY_SENT or contact is not None or channel is not None:
            raise
        how = "its claim link sent again"
    async with write_transaction():
        now = utcnow()
        row = await records.take(ticket_id, now)
        notice_id = None
        if how.startswith("its claim link"):
            notice_id = await recipient_notices.reward_again(row)
            if notice_id is None:
                raise DomainError.single(
                    "MISSING_CONTACT", "the recipient has no contact to send the reward to", field="ticket_id"
                )
        action = await insert_action(actor, ticket_id, RESEND_REWARD, row["reward_value"] or 0, how, now)
        done = await mark_done(action["id"], notice_id=notice_id)
        await audit.record(actor, "ticket.reward_resent", "ticket", ticket_id, after={"action_id": action["id"], "how": how})
    if notice_id is not None:
        await notices.ring([notice_id])
    return action_view(done)
