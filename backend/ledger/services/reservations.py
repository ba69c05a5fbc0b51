"""Two-phase redemption: ``reserve`` holds points (a pending transfer with a timeout); then
``confirm`` posts all or part of them (the rest is released), ``release`` voids them, or the
worker's sweep (``expire_due``) voids them after the timeout.

Each closing step happens exactly once: it is one conditional UPDATE of the reservation row
``WHERE status = 'pending'``, and only the caller whose UPDATE returned the row writes the
closing transfer. Confirm after release or expiry, release after confirm, a second confirm: the
UPDATE matches nothing, the caller gets a specific error, and nothing changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from backend.core import outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.errors import DomainError
from backend.core.idempotency import Request
from backend.core.ids import new_id
from backend.ledger import rules
from backend.ledger.accounts import any_shard
from backend.ledger.errors import LedgerErrorCode, refused
from backend.ledger.events import announce, commit
from backend.ledger.kinds import AccountKind, Direction, Phase, ReservationStatus, Source, TransferKind
from backend.ledger.postings import NewTransfer, Posted, Wallet, post
from backend.ledger.services.wallets import insufficient
from backend.ledger.views import ReservationChange, ReservationView, reservation_view

_INSERT = """INSERT INTO ledger_reservations (id, wallet_account_id, settlement_account_id, amount, status, timeout_at,
    posted_amount, reversed_amount, closing_transfer_id, closed_at, created_at, offer_id)
VALUES ($1, $2, $3, $4, 'pending', $5, 0, 0, NULL, NULL, $6, $7)"""

# $3 is the amount to post: NULL posts all that is held (confirm's default), 0 posts nothing (void).
# $6 is the offer a confirm names (NULL: the reservation's, if any).
# The pending transfer's programme, source and reference come back for ``reservation_view``.
_CLAIM = """UPDATE ledger_reservations
SET status = $2, posted_amount = COALESCE($3, amount), closing_transfer_id = $4, closed_at = $5,
    offer_id = COALESCE($6, offer_id)
WHERE id = $1 AND status = 'pending' AND amount >= COALESCE($3, amount) AND {when}
RETURNING id, wallet_account_id, settlement_account_id, amount, status, timeout_at, posted_amount, reversed_amount,
    closing_transfer_id, closed_at, created_at, offer_id,
    (SELECT programme_id FROM ledger_transfers t WHERE t.id = ledger_reservations.id) AS programme_id,
    (SELECT source FROM ledger_transfers t WHERE t.id = ledger_reservations.id) AS source,
    (SELECT reference FROM ledger_transfers t WHERE t.id = ledger_reservations.id) AS reference"""
# One rule for the caller's two closes: a confirm or a release must beat the timeout. After it the
# reservation belongs to the sweep, whatever the caller asks (RESERVATION_EXPIRED, as the guide
# says): a release then would record the expiry as the caller's decision, and a loyalty platform
# that reconciles by status would see VOIDED where the hold had in fact lapsed.
_CLOSE_BY = {
    ReservationStatus.POSTED: _CLAIM.format(when="timeout_at > $5"),
    ReservationStatus.VOIDED: _CLAIM.format(when="timeout_at > $5"),
    ReservationStatus.EXPIRED: _CLAIM.format(when="timeout_at <= $5"),
}
_ACTION = {
    ReservationStatus.POSTED: "points.confirmed",
    ReservationStatus.VOIDED: "points.released",
    ReservationStatus.EXPIRED: "points.expired_reservation",
}
_DUE = "SELECT id FROM ledger_reservations WHERE status = 'pending' AND timeout_at <= $1 ORDER BY timeout_at LIMIT $2"
_STATE = "SELECT status, amount, timeout_at FROM ledger_reservations WHERE id = $1"
TIMED_OUT = "reservation timed out"
# A confirmed reservation that names an offer: insights records it as a redemption of that offer and
# its spend. Its own topic (one handler a topic), written only when an offer is named.
POINTS_REDEEMED = "ledger.points_redeemed"


async def reserve(
    actor: Actor,
    programme_id: uuid.UUID,
    recipient_id: uuid.UUID,
    amount: int,
    *,
    source: Source | str = Source.API,
    reference: str | None = None,
    reason: str = "",
    timeout: timedelta | None = None,
    offer_id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
) -> ReservationChange:
    """Hold ``amount`` points of the recipient's wallet until confirmed, released or timed out
    (``timeout``; default the ``ledger_reservation_timeout_seconds`` setting, 15 minutes).
    ``offer_id``: the catalogue offer the points pay for (the caller checks it exists: the ledger
    sits below the catalogue); confirming the reservation is then a redemption of that offer.

    Refused with INSUFFICIENT_POINTS when the available points do not cover it."""
    actor.require(Permission.POINTS_WRITE)
    amount, source, reference = rules.points(amount), rules.source(source), rules.reference(reference)
    reason, timeout = rules.reason(reason), rules.reservation_timeout(timeout)
    request = Request.of(
        actor,
        idempotency_key,
        "ledger.reserve",
        {
            "programme_id": programme_id,
            "recipient_id": recipient_id,
            "amount": amount,
            "source": source.value,
            "reference": reference,
            "reason": reason,
            "timeout_seconds": timeout.total_seconds(),
            **_offer(offer_id),
        },
    )

    async def effect(events: list[uuid.UUID]) -> ReservationChange:
        now, reservation_id, settlement = utcnow(), new_id(), any_shard(programme_id, AccountKind.SETTLEMENT)
        new = NewTransfer(
            kind=TransferKind.REDEEM,
            source=source,
            phase=Phase.PENDING,
            amount=amount,
            wallet_side=Direction.DEBIT,
            system_account_id=settlement,
            reference=reference,
            reason=reason,
        )
        posted = await post(actor, Wallet(programme_id=programme_id, recipient_id=recipient_id), new, reservation_id, now)
        if posted is None:
            raise await insufficient(programme_id, recipient_id, amount)
        wallet_id = posted.wallet.id
        sql.defer(sql.Statement(_INSERT, (reservation_id, wallet_id, settlement, amount, now + timeout, now, offer_id)))
        events.append(announce(actor, "points.reserved", posted))
        reservation = ReservationView(
            id=reservation_id,
            programme_id=programme_id,
            wallet_id=wallet_id,
            amount=amount,
            status=ReservationStatus.PENDING,
            timeout_at=now + timeout,
            posted_amount=0,
            reversed_amount=0,
            closing_transfer_id=None,
            closed_at=None,
            created_at=now,
            source=source,
            reference=reference,
            offer_id=offer_id,
        )
        return _changed(reservation, posted)

    return await commit(request, effect, ReservationChange)


async def confirm(
    actor: Actor,
    reservation_id: uuid.UUID,
    amount: int | None = None,
    *,
    reference: str | None = None,
    reason: str = "",
    offer_id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
) -> ReservationChange:
    """Post the reservation: all it holds, or ``amount`` of it and release the rest. ``reference``
    (e.g. the order id, known only now) and ``offer_id`` (the offer paid for) default to the
    reservation's. With an offer, the confirmation also writes a ``ledger.points_redeemed`` event.

    Refused with RESERVATION_NOT_FOUND, RESERVATION_EXPIRED (timed out, even if the sweep has not
    run yet), RESERVATION_NOT_PENDING (already confirmed or released) or AMOUNT_INVALID (more
    than it holds)."""
    actor.require(Permission.POINTS_WRITE)
    amount = rules.points(amount) if amount is not None else None
    reference, reason = rules.reference(reference), rules.reason(reason)
    request = Request.of(
        actor,
        idempotency_key,
        "ledger.confirm",
        {"reservation_id": reservation_id, "amount": amount, "reference": reference, "reason": reason, **_offer(offer_id)},
    )

    async def effect(events: list[uuid.UUID]) -> ReservationChange:
        return await _close(
            actor, reservation_id, ReservationStatus.POSTED, amount, reference, reason, utcnow(), events, offer_id
        )

    return await commit(request, effect, ReservationChange)


async def release(
    actor: Actor,
    reservation_id: uuid.UUID,
    reason: str = "",
    *,
    idempotency_key: str | None = None,
) -> ReservationChange:
    """Void the reservation: the points it holds are available again.

    Refused with RESERVATION_NOT_FOUND, RESERVATION_EXPIRED (timed out, even if the sweep has not
    run yet: the sweep then releases the points, as EXPIRED) or RESERVATION_NOT_PENDING (confirmed
    or released before)."""
    actor.require(Permission.POINTS_WRITE)
    reason = rules.reason(reason)
    request = Request.of(actor, idempotency_key, "ledger.release", {"reservation_id": reservation_id, "reason": reason})

    async def effect(events: list[uuid.UUID]) -> ReservationChange:
        return await _close(actor, reservation_id, ReservationStatus.VOIDED, 0, None, reason, utcnow(), events)

    return await commit(request, effect, ReservationChange)


async def expire_due(now: datetime | None = None, batch: int = 100, actor: Actor = SYSTEM) -> int:
    """Void up to ``batch`` reservations whose timeout has passed (the worker's sweep), each in
    its own short transaction; returns how many it voided. One that a confirm or release closes
    meanwhile is skipped: the conditional UPDATE lets exactly one of them win."""
    actor.require(Permission.POINTS_WRITE)
    now = as_utc(now) if now is not None else utcnow()
    due = await sql.fetch(_DUE, now, batch)
    expired = 0
    for row in due:

        async def effect(events: list[uuid.UUID], reservation_id: uuid.UUID = row["id"]) -> ReservationChange | None:
            return await _close(actor, reservation_id, ReservationStatus.EXPIRED, 0, None, TIMED_OUT, now, events)

        if await commit(None, effect, ReservationChange) is not None:
            expired += 1
    return expired


async def _close(
    actor: Actor,
    reservation_id: uuid.UUID,
    outcome: ReservationStatus,
    amount: int | None,
    reference: str | None,
    reason: str,
    now: datetime,
    events: list[uuid.UUID],
    offer_id: uuid.UUID | None = None,
) -> ReservationChange | None:
    """Claim the reservation for ``outcome``, then write the closing transfer (post or void). The
    claim comes first, so the reservation row is locked before the wallet and the settlement
    account, as in every use case. Raises why not for confirm and release; None for the sweep."""
    closing_id = new_id()
    row = await sql.fetchrow(_CLOSE_BY[outcome], reservation_id, outcome.value, amount, closing_id, now, offer_id)
    if row is None:
        if outcome is ReservationStatus.EXPIRED:
            return None
        raise await _why_not(reservation_id, outcome, amount, now)
    reservation = reservation_view(row)
    new = _closing(reservation, outcome, row["settlement_account_id"], reference, reason)
    posted = await post(actor, Wallet(id=reservation.wallet_id), new, closing_id, now)
    assert posted is not None, "closing a hold takes no available points, so the wallet's guard always passes"
    events.append(announce(actor, _ACTION[outcome], posted))
    if outcome is ReservationStatus.POSTED and reservation.offer_id is not None and reservation.posted_amount > 0:
        events.append(_redeemed(reservation, posted))
    return _changed(reservation, posted)


def _redeemed(reservation: ReservationView, posted: Posted) -> uuid.UUID:
    """The redemption of the reservation's offer, for insights: a deferred insert, written with
    the transfer (no round trip of its own)."""
    event_id, insert = outbox.event(
        POINTS_REDEEMED,
        {
            "reservation_id": str(reservation.id),
            "programme_id": str(reservation.programme_id),
            "recipient_id": str(posted.wallet.recipient_id),
            "offer_id": str(reservation.offer_id),
            "points": reservation.posted_amount,
            "occurred_at": posted.transfer.created_at.isoformat(),
        },
    )
    sql.defer(insert)
    return event_id


def _closing(
    reservation: ReservationView, outcome: ReservationStatus, settlement: uuid.UUID, reference: str | None, reason: str
) -> NewTransfer:
    """The transfer that closes ``reservation`` (as claimed for ``outcome``): post or void."""
    posting = outcome is ReservationStatus.POSTED
    return NewTransfer(
        kind=TransferKind.REDEEM,
        source=reservation.source,
        phase=Phase.POST if posting else Phase.VOID,
        amount=reservation.posted_amount if posting else reservation.amount,
        wallet_side=Direction.DEBIT,
        system_account_id=settlement,
        held=reservation.amount,
        pending_id=reservation.id,
        reference=reference or reservation.reference,
        reason=reason,
    )


def _offer(offer_id: uuid.UUID | None) -> dict:
    """The offer in an idempotency request only when named: keys stored before offers were
    taken hash the same as before."""
    return {"offer_id": offer_id} if offer_id is not None else {}


def _changed(reservation: ReservationView, posted: Posted) -> ReservationChange:
    return ReservationChange(reservation=reservation, transfer=posted.transfer, balance=posted.wallet.balance())


async def _why_not(reservation_id: uuid.UUID, outcome: ReservationStatus, amount: int | None, now: datetime) -> DomainError:
    """The specific reason a confirm or release matched no pending reservation."""
    row = await sql.fetchrow(_STATE, reservation_id)
    if row is None:
        return refused(LedgerErrorCode.RESERVATION_NOT_FOUND, f"reservation {reservation_id} does not exist", "reservation_id")
    status = ReservationStatus(row["status"])
    if status is ReservationStatus.EXPIRED or (status is ReservationStatus.PENDING and as_utc(row["timeout_at"]) <= now):
        return refused(
            LedgerErrorCode.RESERVATION_EXPIRED,
            f"reservation {reservation_id} timed out at {as_utc(row['timeout_at']).isoformat()}",
            "reservation_id",
        )
    if status is not ReservationStatus.PENDING:
        return refused(
            LedgerErrorCode.RESERVATION_NOT_PENDING, f"reservation {reservation_id} is already {status.value}", "reservation_id"
        )
    if outcome is ReservationStatus.POSTED and amount is not None and amount > row["amount"]:
        return refused(
            LedgerErrorCode.AMOUNT_INVALID,
            f"the reservation holds {row['amount']:,} points; {amount:,} cannot be confirmed",
            "amount",
        )
    # Unreachable: the UPDATE matches a pending reservation in time and within its amount.
    raise AssertionError(f"reservation {reservation_id} is pending, in time and within its amount, yet was not closed")
