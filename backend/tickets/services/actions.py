"""Actions on a ticket, each through its own service with its audit entry: a points refund (the
ledger's reversal of a redemption). Above the programme's threshold a second person approves it
first; the approval is a conditional update (pending → done), so it happens once, and the refund
commits in the same transaction as the action's new status.

The ledger needs points:write, which a support agent does not hold: the refund runs with the
agent's identity and that one permission added, because the action is what authorises it (the
ledger's audit entry names the agent)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import audit, sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import as_utc, maybe_utc, utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.ledger import services as ledger
from backend.tickets.services import desk, records
from backend.tickets.views import CLOSED

REFUND_POINTS = "refund_points"
PENDING_APPROVAL, APPROVED, DONE, REJECTED = "pending_approval", "approved", "done", "rejected"


@dataclass(frozen=True)
class ActionView:
    id: uuid.UUID
    ticket_id: uuid.UUID
    kind: str
    transfer_id: uuid.UUID | None
    amount: int
    reason: str
    status: str
    requested_by_label: str
    decided_by_label: str | None
    result_transfer_id: uuid.UUID | None
    created_at: datetime
    decided_at: datetime | None


def _view(row) -> ActionView:
    return ActionView(
        id=row["id"],
        ticket_id=row["ticket"],
        kind=row["kind"],
        transfer_id=row["transfer_id"],
        amount=row["amount"],
        reason=row["reason"],
        status=row["status"],
        requested_by_label=row["requested_by_label"],
        decided_by_label=row["decided_by_label"],
        result_transfer_id=row["result_transfer_id"],
        created_at=as_utc(row["created_at"]),
        decided_at=maybe_utc(row["decided_at"]),
    )


def _acting_for_ticket(actor: Actor) -> Actor:
    return dataclasses.replace(actor, permissions=actor.permissions | {Permission.POINTS_WRITE})


async def _refund(actor: Actor, action, now: datetime) -> ActionView:
    """Reverse the redemption and mark the action done, in the caller's transaction."""
    change = await ledger.reverse(
        _acting_for_ticket(actor),
        action["transfer_id"],
        action["amount"],
        reason=f"ticket {action['ticket']}: {action['reason']}"[:500],
    )
    row = await sql.fetchrow(
        "UPDATE ticket_actions SET status = $2, result_transfer_id = $3 WHERE id = $1 RETURNING *",
        action["id"],
        DONE,
        change.transfer.id,
    )
    await audit.record(
        actor, "ticket.points_refunded", "ticket", action["ticket"], after={"action_id": action["id"], "amount": action["amount"]}
    )
    return _view(row)


async def request_points_refund(
    actor: Actor, ticket_id: uuid.UUID, transfer_id: uuid.UUID, amount: int, reason: str
) -> ActionView:
    """Refund ``amount`` points of the redemption ``transfer_id``: at once, or once a second person
    approves when the amount is above the programme's threshold."""
    actor.require(Permission.TICKETS_WRITE)
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError.single("INVALID_AMOUNT", "a refund is a positive number of points", field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError.single("REASON_REQUIRED", "say why the points are refunded", field="reason")
    async with write_transaction():
        now = utcnow()
        ticket = await records.take(ticket_id, now)
        if ticket["status"] == CLOSED:
            raise DomainError.single("TICKET_CLOSED", "this ticket is closed", field="ticket_id")
        threshold = (await desk.desk_settings(ticket["programme_id"])).approval_above_points
        status = PENDING_APPROVAL if threshold is not None and amount > threshold else DONE
        action = await sql.fetchrow(
            """INSERT INTO ticket_actions (id, ticket, kind, transfer_id, amount, reason, status, requested_by_id,
            requested_by_label, decided_by_id, decided_by_label, result_transfer_id, created_at, decided_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, $10, NULL) RETURNING *""",
            new_id(),
            ticket_id,
            REFUND_POINTS,
            transfer_id,
            amount,
            reason,
            PENDING_APPROVAL,
            actor.id,
            actor.label,
            now,
        )
        await audit.record(
            actor,
            "ticket.action_requested",
            "ticket",
            ticket_id,
            after={"action_id": action["id"], "kind": REFUND_POINTS, "amount": amount},
        )
        if status == PENDING_APPROVAL:
            return _view(action)
        return await _refund(actor, action, now)


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
    actor.require(Permission.TICKETS_WRITE)
    async with write_transaction():
        now = utcnow()
        await _pending(action_id, actor)
        action = await _decide(action_id, actor, APPROVED, now)
        await audit.record(actor, "ticket.action_approved", "ticket", action["ticket"], after={"action_id": action_id})
        return await _refund(actor, action, now)


async def reject_action(actor: Actor, action_id: uuid.UUID, note: str = "") -> ActionView:
    actor.require(Permission.TICKETS_WRITE)
    async with write_transaction():
        await _pending(action_id, actor)
        action = await _decide(action_id, actor, REJECTED, utcnow())
        await audit.record(
            actor, "ticket.action_rejected", "ticket", action["ticket"], after={"action_id": action_id, "note": note[:500]}
        )
        return _view(action)


async def ticket_actions(actor: Actor, ticket_id: uuid.UUID) -> list[ActionView]:
    actor.require(Permission.TICKETS_READ)
    return [_view(row) for row in await sql.fetch("SELECT * FROM ticket_actions WHERE ticket = $1 ORDER BY id", ticket_id)]
