"""Manual adjustments with maker-checker: one finance user asks for a credit or a debit with a
reason, a second one approves (which writes the ``adjust`` transfer) or rejects it.

The requester may reject (withdraw) their own request but never approve it. Approval is one
conditional UPDATE ``WHERE status = 'pending'``, so a request is decided once; a debit that would
overdraw the wallet is refused when asked for (INSUFFICIENT_POINTS, with the balance), and again at
approval, when the points may have been spent meanwhile (the request then stays pending).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.core.idempotency import Request
from backend.core.ids import new_id
from backend.ledger import accounts, rules
from backend.ledger.errors import LedgerErrorCode, refused
from backend.ledger.events import announce, commit
from backend.ledger.kinds import AccountKind, AdjustmentStatus, Direction, Phase, Source, TransferKind
from backend.ledger.postings import NewTransfer, Wallet, post
from backend.ledger.services.wallets import _balance_of, insufficient
from backend.ledger.views import AdjustmentPage, AdjustmentView, adjustment_view

_COLUMNS = """id, programme_id, recipient_id, direction, amount, reason, status, requested_by_kind, requested_by_id,
    requested_by_label, requested_at, decided_by_kind, decided_by_id, decided_by_label, decided_at, decision_note, transfer_id"""
_INSERT = f"""INSERT INTO adjustment_requests ({_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, NULL, NULL, NULL, NULL, '', NULL) RETURNING {_COLUMNS}"""
_GET = f"SELECT {_COLUMNS} FROM adjustment_requests WHERE id = $1"
_DECIDE = f"""UPDATE adjustment_requests
SET status = $2, decided_by_kind = $3, decided_by_id = $4, decided_by_label = $5, decided_at = $6, decision_note = $7, transfer_id = $8
WHERE id = $1 AND status = 'pending' RETURNING {_COLUMNS}"""


async def request_adjustment(
    actor: Actor,
    programme_id: uuid.UUID,
    recipient_id: uuid.UUID,
    direction: Direction | str,
    amount: int,
    reason: str,
    *,
    idempotency_key: str | None = None,
) -> AdjustmentView:
    """Ask for a manual credit or debit of a recipient's wallet; nothing moves until a second
    person approves. A debit beyond the points available now is refused at once (INSUFFICIENT_POINTS,
    naming the balance): the approver would only fail on it."""
    actor.require(Permission.LEDGER_ADJUST)
    direction = _direction(direction)
    amount, reason = rules.points(amount), rules.reason(reason, required=True)
    request = Request.of(
        actor,
        idempotency_key,
        "ledger.request_adjustment",
        {
            "programme_id": programme_id,
            "recipient_id": recipient_id,
            "direction": direction.value,
            "amount": amount,
            "reason": reason,
        },
    )

    async def effect(events: list[uuid.UUID]) -> AdjustmentView:
        await accounts.require_owner(programme_id, recipient_id)
        if direction is Direction.DEBIT:
            available = (await _balance_of(programme_id, recipient_id)).available
            if amount > available:
                raise refused(
                    LedgerErrorCode.INSUFFICIENT_POINTS,
                    f"the wallet holds {available:,} points available: a debit of {amount:,} would overdraw it",
                    "amount",
                )
        row = await sql.fetchrow(
            _INSERT,
            new_id(),
            programme_id,
            recipient_id,
            direction.value,
            amount,
            reason,
            actor.kind.value,
            actor.id,
            actor.label,
            utcnow(),
        )
        adjustment = adjustment_view(row)
        await audit.record(actor, "ledger.adjustment_requested", "adjustment_request", adjustment.id, after=_audited(adjustment))
        return adjustment

    return await commit(request, effect, AdjustmentView)


async def approve_adjustment(
    actor: Actor,
    adjustment_id: uuid.UUID,
    note: str = "",
    *,
    idempotency_key: str | None = None,
) -> AdjustmentView:
    """Approve someone else's request: writes the ``adjust`` transfer (funding ↔ wallet).

    Refused with ADJUSTMENT_NOT_FOUND, ADJUSTMENT_NOT_PENDING, SAME_APPROVER, or
    INSUFFICIENT_POINTS for a debit beyond the available points (the request stays pending)."""
    actor.require(Permission.LEDGER_ADJUST)
    note = rules.reason(note, field="note")
    request = Request.of(actor, idempotency_key, "ledger.approve_adjustment", {"adjustment_id": adjustment_id, "note": note})

    async def effect(events: list[uuid.UUID]) -> AdjustmentView:
        pending = await _pending(adjustment_id)
        if _requested_by(pending, actor):
            raise refused(
                LedgerErrorCode.SAME_APPROVER,
                "a second person must approve an adjustment; you asked for this one",
                "adjustment_id",
            )
        transfer_id, now = new_id(), utcnow()
        decided = await _decide(actor, adjustment_id, AdjustmentStatus.APPROVED, note, transfer_id, now)
        credit = decided.direction is Direction.CREDIT
        new = NewTransfer(
            kind=TransferKind.ADJUST,
            source=Source.ADMIN,
            phase=Phase.SINGLE,
            amount=decided.amount,
            wallet_side=decided.direction,
            system_account_id=accounts.any_shard(decided.programme_id, AccountKind.FUNDING),
            reference=f"adjustment:{decided.id}",
            reason=decided.reason,
        )
        if credit:
            await accounts.open_wallet(decided.programme_id, decided.recipient_id)
        posted = await post(
            actor, Wallet(programme_id=decided.programme_id, recipient_id=decided.recipient_id), new, transfer_id, now
        )
        if posted is None:
            raise await insufficient(decided.programme_id, decided.recipient_id, decided.amount)
        await audit.record(
            actor,
            "ledger.adjustment_approved",
            "adjustment_request",
            decided.id,
            before=_audited(pending),
            after=_audited(decided),
        )
        events.append(announce(actor, "points.adjusted", posted))
        return decided

    return await commit(request, effect, AdjustmentView)


async def reject_adjustment(
    actor: Actor,
    adjustment_id: uuid.UUID,
    note: str = "",
    *,
    idempotency_key: str | None = None,
) -> AdjustmentView:
    """A checker turns someone else's pending request down. Nothing moves. Refused with
    SAME_APPROVER for the requester, who withdraws it instead."""
    return await _close(actor, adjustment_id, note, idempotency_key, withdraw=False)


async def withdraw_adjustment(
    actor: Actor,
    adjustment_id: uuid.UUID,
    note: str = "",
    *,
    idempotency_key: str | None = None,
) -> AdjustmentView:
    """The requester takes their pending request back (kept as rejected, audited as withdrawn).
    Nothing moves. Refused with NOT_REQUESTER for anyone else, who rejects it instead."""
    return await _close(actor, adjustment_id, note, idempotency_key, withdraw=True)


async def _close(
    actor: Actor, adjustment_id: uuid.UUID, note: str, idempotency_key: str | None, *, withdraw: bool
) -> AdjustmentView:
    actor.require(Permission.LEDGER_ADJUST)
    note = rules.reason(note, field="note")
    operation = "ledger.withdraw_adjustment" if withdraw else "ledger.reject_adjustment"
    request = Request.of(actor, idempotency_key, operation, {"adjustment_id": adjustment_id, "note": note})

    async def effect(events: list[uuid.UUID]) -> AdjustmentView:
        pending = await _pending(adjustment_id)
        own = _requested_by(pending, actor)
        if withdraw and not own:
            raise refused(
                LedgerErrorCode.NOT_REQUESTER,
                f"only {pending.requested_by_label} withdraws this request; a checker rejects it",
                "adjustment_id",
            )
        if not withdraw and own:
            raise refused(
                LedgerErrorCode.SAME_APPROVER, "a second person decides on your request; withdraw it instead", "adjustment_id"
            )
        decided = await _decide(actor, adjustment_id, AdjustmentStatus.REJECTED, note, None, utcnow())
        await audit.record(
            actor,
            "ledger.adjustment_withdrawn" if withdraw else "ledger.adjustment_rejected",
            "adjustment_request",
            decided.id,
            before=_audited(pending),
            after=_audited(decided),
        )
        return decided

    return await commit(request, effect, AdjustmentView)


async def get_adjustment(actor: Actor, adjustment_id: uuid.UUID) -> AdjustmentView:
    actor.require(Permission.POINTS_READ)
    row = await sql.fetchrow(_GET, adjustment_id)
    if row is None:
        raise _not_found(adjustment_id)
    return adjustment_view(row)


async def list_adjustments(
    actor: Actor,
    *,
    status: AdjustmentStatus | str | None = None,
    programme_id: uuid.UUID | None = None,
    recipient_id: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> AdjustmentPage:
    """Newest first, keyset-paged: pass ``next_cursor`` as ``after`` for the next page. The
    approval queue is ``status="pending"``."""
    actor.require(Permission.POINTS_READ)
    conditions = sql.Conditions()
    conditions.when("status = ?", AdjustmentStatus(status).value if status else None)
    conditions.when("programme_id = ?", programme_id)
    conditions.when("recipient_id = ?", recipient_id)
    conditions.when("id < ?", after)
    size = rules.page_size(limit)
    statement = conditions.statement("SELECT " + _COLUMNS + " FROM adjustment_requests", "id DESC", size + 1)
    rows = await sql.fetch(statement, *conditions.args)
    adjustments = [adjustment_view(row) for row in rows[:size]]
    return AdjustmentPage(adjustments=adjustments, next_cursor=adjustments[-1].id if len(rows) > size else None)


def _direction(value: Direction | str) -> Direction:
    try:
        return Direction(value)
    except ValueError:
        raise refused(LedgerErrorCode.DIRECTION_INVALID, "an adjustment is a credit or a debit", "direction") from None


async def _pending(adjustment_id: uuid.UUID) -> AdjustmentView:
    row = await sql.fetchrow(_GET, adjustment_id)
    if row is None:
        raise _not_found(adjustment_id)
    adjustment = adjustment_view(row)
    if adjustment.status is not AdjustmentStatus.PENDING:
        raise _not_pending(adjustment)
    return adjustment


async def _decide(
    actor: Actor, adjustment_id: uuid.UUID, status: AdjustmentStatus, note: str, transfer_id: uuid.UUID | None, now: datetime
) -> AdjustmentView:
    row = await sql.fetchrow(
        _DECIDE, adjustment_id, status.value, actor.kind.value, actor.id, actor.label, now, note, transfer_id
    )
    if row is None:  # decided by someone else between our read and this claim
        raise _not_pending(adjustment_view(await sql.fetchrow(_GET, adjustment_id)))
    return adjustment_view(row)


def _requested_by(adjustment: AdjustmentView, actor: Actor) -> bool:
    if adjustment.requested_by_kind != actor.kind.value:
        return False
    if actor.id is not None:
        return adjustment.requested_by_id == actor.id
    return adjustment.requested_by_label == actor.label


def _not_found(adjustment_id: uuid.UUID) -> DomainError:
    return refused(LedgerErrorCode.ADJUSTMENT_NOT_FOUND, f"adjustment request {adjustment_id} does not exist", "adjustment_id")


def _not_pending(adjustment: AdjustmentView) -> DomainError:
    return refused(
        LedgerErrorCode.ADJUSTMENT_NOT_PENDING,
        f"adjustment request {adjustment.id} is already {adjustment.status.value}",
        "adjustment_id",
    )


def _audited(adjustment: AdjustmentView) -> dict:
    return {
        "direction": adjustment.direction.value,
        "amount": adjustment.amount,
        "reason": adjustment.reason,
        "status": adjustment.status.value,
        "programme_id": adjustment.programme_id,
        "recipient_id": adjustment.recipient_id,
        "decision_note": adjustment.decision_note,
        "transfer_id": adjustment.transfer_id,
    }
