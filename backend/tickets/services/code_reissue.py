"""A replacement code as a ticket action: the catalogue voids the reward's code (never shown again:
not on the claim page, not in the console, not in the API) and claims another of the same offer and
denomination from stock; the recipient is told through the delivery channels, the new code revealed
only when that message is sent; the thread says so. For a reward worth more than the programme's
``approval_above_minor`` a second person approves first (``actions.approve_action`` runs
``perform`` then, in its own transaction: once).

The catalogue needs rewards:write, which a support agent does not hold: the action authorises it,
so the replacement runs with the agent's identity and that one permission added."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.catalog.services import code_replacement
from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.deliveries.services import notices
from backend.tickets.services import desk, recipient_notices, records
from backend.tickets.services.action_rows import (
    PENDING_APPROVAL,
    REISSUE_CODE,
    ActionView,
    acting_for_ticket,
    action_view,
    checked_reason,
    insert_action,
    mark_done,
)
from backend.tickets.views import AGENT, CLOSED

THREAD_LINE = "A new code was issued for your reward; the old code no longer works. Open your reward to see it."


def _code_reward(ticket) -> None:
    if ticket["status"] == CLOSED:
        raise DomainError.single("TICKET_CLOSED", "this ticket is closed", field="ticket_id")
    if ticket["issuance_id"] is None or ticket["offer_id"] is None:
        raise DomainError.single("NO_CODE_REWARD", "this ticket is not about a reward with a voucher code", field="ticket_id")


async def request_code_reissue(actor: Actor, ticket_id: uuid.UUID, reason: str) -> ActionView:
    """Replace the ticket's reward's code: at once, or once a second person approves when the reward
    is worth more than the programme's approval value. OUT_OF_STOCK and NO_ALLOCATION change nothing."""
    actor.require(Permission.TICKETS_WRITE)
    reason = checked_reason(reason)
    async with write_transaction():
        now = utcnow()
        ticket = await records.take(ticket_id, now)
        _code_reward(ticket)
        waiting = await sql.fetchrow(
            "SELECT id FROM ticket_actions WHERE ticket = $1 AND kind = $2 AND status = $3",
            ticket_id,
            REISSUE_CODE,
            PENDING_APPROVAL,
        )
        if waiting is not None:  # one replacement at a time: the second person decides on the first
            raise DomainError.single(
                "ACTION_PENDING", "a new code for this ticket is already waiting for approval", field="ticket_id"
            )
        threshold = (await desk.desk_settings(ticket["programme_id"])).approval_above_minor
        value = ticket["reward_value"] or 0
        action = await insert_action(actor, ticket_id, REISSUE_CODE, value, reason, now)
        await audit.record(
            actor, "ticket.action_requested", "ticket", ticket_id, after={"action_id": action["id"], "kind": REISSUE_CODE}
        )
        done = action_view(action) if threshold is not None and value > threshold else await perform(actor, action, now)
    if done.status != PENDING_APPROVAL and done.notice_id is not None:
        await notices.ring([done.notice_id])
    return done


async def perform(actor: Actor, action, now: datetime) -> ActionView:
    """The replacement, the recipient's message and the thread's line, in the caller's transaction."""
    ticket = await sql.fetchrow("SELECT * FROM tickets WHERE id = $1", action["ticket"])
    _code_reward(ticket)
    replaced = await code_replacement.replace_code(
        acting_for_ticket(actor, Permission.REWARDS_WRITE), ticket["issuance_id"], f"ticket {ticket['id']}: {action['reason']}"
    )
    notice_id = await recipient_notices.replacement_code(ticket)
    await records.add_message(ticket["id"], AGENT, THREAD_LINE, actor, now)
    row = await mark_done(
        action["id"], voided_code_id=replaced.voided_code_id, result_code_id=replaced.code.id, notice_id=notice_id
    )
    await audit.record(
        actor,
        "ticket.code_reissued",
        "ticket",
        ticket["id"],
        after={"action_id": action["id"], "voided_code_id": replaced.voided_code_id, "code_id": replaced.code.id},
    )
    return action_view(row)
