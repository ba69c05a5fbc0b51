"""Actions on a ticket, each through its own service with its audit entry: a points refund (the
ledger's reversal of a redemption) here; a replacement code (``code_reissue``) and a resend of the
reward (``reward_resend``) in their own modules; the second person's approval here. Above the
programme's threshold a second person approves a refund or a replacement code first; the approval is a conditional update (pending → done), so it happens once, and the refund
(or the replacement) commits in the same transaction as the action's new status.

The ledger needs points:write, which a support agent does not hold: the refund runs with the
agent's identity and that one permission added, because the action is what authorises it (the
ledger's audit entry names the agent). What may be refunded (one of the ticket's recipient's
confirmed redemptions, never more than is left of it) is ``refundable``'s to say. Each step of a
refund is a line of the ticket's thread: the recipient reads that the points came back; a request
waiting for approval, a rejection and a withdrawal are internal notes."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.core import audit, idempotency, sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, NotFound
from backend.core.text import check_text
from backend.deliveries.services import notices
from backend.ledger import services as ledger
from backend.tickets.services import code_reissue, desk, records, refundable
from backend.tickets.services.action_rows import (
    APPROVED,
    PENDING_APPROVAL,
    REFUND_POINTS,
    REISSUE_CODE,
    REJECTED,
    WITHDRAWN,
    ActionView,
    acting_for_ticket,
    action_view,
    checked_reason,
    insert_action,
    mark_done,
)
from backend.tickets.views import AGENT, CLOSED, NOTE

# The thread's lines: the recipient reads that points came back; colleagues read the rest in notes.
REFUNDED_LINE = "We refunded {points} to your points balance."


def points_words(points: int) -> str:
    return f"{points:,} point{'s' if points != 1 else ''}"


async def _refund(actor: Actor, action, now: datetime) -> ActionView:
    """Reverse the redemption and mark the action done, in the caller's transaction."""
    change = await ledger.reverse(
        acting_for_ticket(actor, Permission.POINTS_WRITE),
        action["transfer_id"],
        action["amount"],
        reason=f"ticket {action['ticket']}: {action['reason']}"[:500],
    )
    row = await mark_done(action["id"], result_transfer_id=change.transfer.id)
    await records.add_message(action["ticket"], AGENT, REFUNDED_LINE.format(points=points_words(action["amount"])), actor, now)
    await audit.record(
        actor,
        "ticket.points_refunded",
        "ticket",
        action["ticket"],
        after={"action_id": action["id"], "amount": action["amount"], "transfer_id": change.transfer.id},
    )
    return action_view(row)


async def request_points_refund(
    actor: Actor,
    ticket_id: uuid.UUID,
    transfer_id: uuid.UUID,
    points: int,
    reason: str,
    *,
    idempotency_key: str | None = None,
) -> ActionView:
    """Refund ``points`` of the redemption ``transfer_id`` (one of the ticket's recipient's, in its
    programme, never more than is left of it): at once, or once a second person approves when the
    amount is above the programme's threshold. A replay with the same key returns the first result."""
    actor.require(Permission.TICKETS_WRITE)
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise DomainError.single("INVALID_AMOUNT", "a refund is a whole, positive number of points", field="points")
    reason = checked_reason(reason)
    request = idempotency.Request.of(
        actor,
        idempotency_key,
        "tickets.refund_points",
        {"ticket_id": ticket_id, "transfer_id": transfer_id, "points": points, "reason": reason},
    )

    async def effect() -> ActionView:
        now = utcnow()
        ticket = await records.take(ticket_id, now)  # one request of a ticket at a time: the check below holds
        if ticket["status"] == CLOSED:
            raise DomainError.single("TICKET_CLOSED", "this ticket is closed", field="ticket_id")
        redemption = await refundable.redemption_to_refund(actor, ticket, transfer_id, points)
        threshold = (await desk.desk_settings(ticket["programme_id"])).approval_above_points
        action = await insert_action(actor, ticket_id, REFUND_POINTS, points, reason, now, redemption.transfer_id)
        await audit.record(
            actor,
            "ticket.action_requested",
            "ticket",
            ticket_id,
            after={"action_id": action["id"], "kind": REFUND_POINTS, "amount": points, "transfer_id": redemption.transfer_id},
        )
        if threshold is not None and points > threshold:
            await records.add_message(
                ticket_id,
                NOTE,
                f"Refund of {points_words(points)} asked by {actor.label}: it waits for a second person's approval. "
                f"Why: {reason}",
                actor,
                now,
            )
            return action_view(action)
        return await _refund(actor, action, now)

    return (await idempotency.once(request, effect, ActionView)).value


async def _pending(action_id: uuid.UUID, actor: Actor):
    row = await sql.fetchrow("SELECT * FROM ticket_actions WHERE id = $1", action_id)
    if row is None:
        raise NotFound("ticket action", action_id, field="action_id")
    if actor.kind is not ActorKind.USER:
        raise DomainError.single("PERSON_REQUIRED", "a person approves or rejects an action", field="action_id")
    if row["requested_by_id"] == actor.id:
        raise DomainError.single("SELF_APPROVAL", "a second person decides on an action, not its requester", field="action_id")
    return row


async def _decide(action_id: uuid.UUID, actor: Actor, status: str, now: datetime):
    """pending → ``status``, once: the loser of two deciders changes nothing."""
    row = await sql.fetchrow(
        f"""UPDATE ticket_actions SET status = $2, decided_by_id = $3, decided_by_label = $4, decided_at = $5
        WHERE id = $1 AND status = '{PENDING_APPROVAL}' RETURNING *""",
        action_id,
        status,
        actor.id,
        actor.label,
        now,
    )
    if row is None:
        raise DomainError.single("NOT_PENDING", "this action was already decided", field="action_id")
    return row


async def approve_action(actor: Actor, action_id: uuid.UUID) -> ActionView:
    """The second person's approval, once; the action runs in the same transaction."""
    actor.require(Permission.TICKETS_WRITE)
    async with write_transaction():
        now = utcnow()
        await _pending(action_id, actor)
        action = await _decide(action_id, actor, APPROVED, now)
        await audit.record(actor, "ticket.action_approved", "ticket", action["ticket"], after={"action_id": action_id})
        perform = code_reissue.perform if action["kind"] == REISSUE_CODE else _refund
        done = await perform(actor, action, now)
    if done.notice_id is not None:
        await notices.ring([done.notice_id])
    return done


async def _decision_note(actor: Actor, action, verb: str, note: str, now: datetime) -> None:
    """A refund's thread tells each of its steps; a decision that moves nothing is a note for colleagues."""
    if action["kind"] == REFUND_POINTS:
        why = f": {note}" if note else "."
        await records.add_message(
            action["ticket"], NOTE, f"Refund of {points_words(action['amount'])} {verb} by {actor.label}{why}", actor, now
        )


def _checked_note(note: str | None) -> str:
    check_text("note", note, multiline=True)
    return (note or "").strip()[:500]


async def reject_action(actor: Actor, action_id: uuid.UUID, note: str = "") -> ActionView:
    actor.require(Permission.TICKETS_WRITE)
    note = _checked_note(note)
    async with write_transaction():
        now = utcnow()
        await _pending(action_id, actor)
        action = await _decide(action_id, actor, REJECTED, now)
        await _decision_note(actor, action, "rejected", note, now)
        await audit.record(
            actor, "ticket.action_rejected", "ticket", action["ticket"], after={"action_id": action_id, "note": note}
        )
        return action_view(action)


async def withdraw_action(actor: Actor, action_id: uuid.UUID, note: str = "") -> ActionView:
    """The requester takes back a pending action (a checker rejects it instead): nothing is refunded."""
    actor.require(Permission.TICKETS_WRITE)
    note = _checked_note(note)
    async with write_transaction():
        row = await sql.fetchrow("SELECT * FROM ticket_actions WHERE id = $1", action_id)
        if row is None:
            raise NotFound("ticket action", action_id, field="action_id")
        if row["requested_by_id"] != actor.id:
            raise DomainError.single("NOT_REQUESTER", "only the person who asked for an action withdraws it", field="action_id")
        now = utcnow()
        action = await _decide(action_id, actor, WITHDRAWN, now)
        await _decision_note(actor, action, "withdrawn", note, now)
        await audit.record(
            actor, "ticket.action_withdrawn", "ticket", action["ticket"], after={"action_id": action_id, "note": note}
        )
        return action_view(action)


async def ticket_actions(actor: Actor, ticket_id: uuid.UUID) -> list[ActionView]:
    actor.require(Permission.TICKETS_READ)
    return [action_view(row) for row in await sql.fetch("SELECT * FROM ticket_actions WHERE ticket = $1 ORDER BY id", ticket_id)]


async def refundable_redemptions(actor: Actor, ticket_id: uuid.UUID) -> list[refundable.Redemption]:
    """The redemptions an agent may pick to refund on this ticket, newest first."""
    actor.require(Permission.TICKETS_WRITE)
    ticket = await sql.fetchrow("SELECT programme_id, recipient_id FROM tickets WHERE id = $1", ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id, field="ticket_id")
    return await refundable.refundable_redemptions(actor, ticket)
