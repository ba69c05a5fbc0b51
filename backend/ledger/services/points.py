"""Single-phase movements: earning points, reversing a confirmed redemption (a refund), and
expiring points out of a wallet."""

from __future__ import annotations

import uuid

from backend.core import outbox, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.idempotency import Request
from backend.core.ids import new_id
from backend.ledger import accounts, rules
from backend.ledger.errors import LedgerErrorCode, refused
from backend.ledger.events import announce, commit
from backend.ledger.kinds import AccountKind, Direction, Phase, ReservationStatus, Source, TransferKind
from backend.ledger.postings import NewTransfer, Posted, Wallet, post
from backend.ledger.services.wallets import insufficient
from backend.ledger.views import BalanceChange

_TRANSFER = "SELECT id, programme_id, kind, phase, pending_id, source, reference FROM ledger_transfers WHERE id = $1"
_RESERVATION = "SELECT status, posted_amount, reversed_amount FROM ledger_reservations WHERE id = $1"
# The reversal's own no-overdraft rule: never more back than was redeemed, however many at once.
_TAKE_BACK = """UPDATE ledger_reservations SET reversed_amount = reversed_amount + $2
WHERE id = $1 AND status = 'posted' AND posted_amount - reversed_amount >= $2
RETURNING wallet_account_id, closing_transfer_id, offer_id, posted_amount, reversed_amount"""
# A reversal of a redemption that named an offer: insights takes it off the offer's redemptions and
# spend. Its own topic (one handler a topic), written only when the redemption named an offer.
POINTS_REVERSED = "ledger.points_reversed"


async def earn(
    actor: Actor,
    programme_id: uuid.UUID,
    recipient_id: uuid.UUID,
    amount: int,
    *,
    source: Source | str = Source.API,
    reference: str | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> BalanceChange:
    """Credit ``amount`` points to the recipient's wallet from the programme's funding account,
    opening the wallet if needed."""
    actor.require(Permission.POINTS_WRITE)
    amount, source = rules.points(amount), rules.source(source)
    reference, reason = rules.reference(reference), rules.reason(reason)
    request = Request.of(
        actor,
        idempotency_key,
        "ledger.earn",
        {
            "programme_id": programme_id,
            "recipient_id": recipient_id,
            "amount": amount,
            "source": source.value,
            "reference": reference,
            "reason": reason,
        },
    )

    async def effect(events: list[uuid.UUID]) -> BalanceChange:
        new = NewTransfer(
            kind=TransferKind.EARN,
            source=source,
            phase=Phase.SINGLE,
            amount=amount,
            wallet_side=Direction.CREDIT,
            system_account_id=accounts.any_shard(programme_id, AccountKind.FUNDING),
            reference=reference,
            reason=reason,
        )
        now, wallet = utcnow(), Wallet(programme_id=programme_id, recipient_id=recipient_id)
        posted = await post(actor, wallet, new, new_id(), now)
        if posted is None:  # the first points of this recipient in this programme
            await accounts.open_wallet(programme_id, recipient_id)
            posted = await post(actor, wallet, new, new_id(), now)
        events.append(announce(actor, "points.earned", posted))
        return _changed(posted)

    return await commit(request, effect, BalanceChange)


def _changed(posted: Posted) -> BalanceChange:
    return BalanceChange(transfer=posted.transfer, balance=posted.wallet.balance())


async def reverse(
    actor: Actor,
    transfer_id: uuid.UUID,
    amount: int | None = None,
    *,
    reason: str = "",
    source: Source | str | None = None,
    idempotency_key: str | None = None,
) -> BalanceChange:
    """Give back the points of a confirmed redemption (a refund): a new ``reverse`` transfer from
    settlement to the wallet, linked to the redemption's post transfer by ``reverses_id``.

    ``transfer_id`` is the redemption's post transfer (or its reservation). ``amount`` defaults to
    all that is left to reverse; several partial reversals may follow one another, never more in
    total than was redeemed. When the redemption named an offer, also writes a
    ``ledger.points_reversed`` event. Refused with TRANSFER_NOT_FOUND or NOT_REVERSIBLE."""
    actor.require(Permission.POINTS_WRITE)
    amount = rules.points(amount) if amount is not None else None
    reason = rules.reason(reason)
    source = rules.source(source) if source is not None else None
    request = Request.of(
        actor,
        idempotency_key,
        "ledger.reverse",
        {"transfer_id": transfer_id, "amount": amount, "reason": reason, "source": source.value if source else None},
    )

    async def effect(events: list[uuid.UUID]) -> BalanceChange:
        redemption = await sql.fetchrow(_TRANSFER, transfer_id)
        if redemption is None:
            raise refused(LedgerErrorCode.TRANSFER_NOT_FOUND, f"transfer {transfer_id} does not exist", "transfer_id")
        if redemption["kind"] != TransferKind.REDEEM.value or redemption["phase"] not in (Phase.PENDING.value, Phase.POST.value):
            raise refused(LedgerErrorCode.NOT_REVERSIBLE, "only a confirmed redemption can be reversed", "transfer_id")
        reservation_id = redemption["pending_id"] or redemption["id"]
        taken = await _reversible_amount(reservation_id, amount)
        claimed = await sql.fetchrow(_TAKE_BACK, reservation_id, taken)
        if claimed is None:
            raise refused(LedgerErrorCode.NOT_REVERSIBLE, "the redemption was reversed meanwhile; nothing changed", "transfer_id")
        new = NewTransfer(
            kind=TransferKind.REVERSE,
            source=source or Source(redemption["source"]),
            phase=Phase.SINGLE,
            amount=taken,
            wallet_side=Direction.CREDIT,
            system_account_id=accounts.any_shard(redemption["programme_id"], AccountKind.SETTLEMENT),
            reverses_id=claimed["closing_transfer_id"],
            reference=redemption["reference"],
            reason=reason,
        )
        posted = await post(actor, Wallet(id=claimed["wallet_account_id"]), new, new_id(), utcnow())
        assert posted is not None, "a credit needs no available points"
        events.append(announce(actor, "points.reversed", posted))
        if claimed["offer_id"] is not None:
            events.append(_reversed(reservation_id, redemption["programme_id"], claimed, posted))
        return BalanceChange(transfer=posted.transfer, balance=posted.wallet.balance())

    return await commit(request, effect, BalanceChange)


def _reversed(reservation_id: uuid.UUID, programme_id: uuid.UUID, claimed, posted: Posted) -> uuid.UUID:
    """The reversal of the reservation's offer's redemption, for insights: a deferred insert, written
    with the transfer. ``reversed_points`` is the total taken back so far (this one included), so
    insights can tell a full reversal from a partial one."""
    event_id, insert = outbox.event(
        POINTS_REVERSED,
        {
            "reversal_id": str(posted.transfer.id),
            "reservation_id": str(reservation_id),
            "programme_id": str(programme_id),
            "recipient_id": str(posted.wallet.recipient_id),
            "offer_id": str(claimed["offer_id"]),
            "points": posted.transfer.amount,
            "redeemed_points": claimed["posted_amount"],
            "reversed_points": claimed["reversed_amount"],
            "occurred_at": posted.transfer.created_at.isoformat(),
        },
    )
    sql.defer(insert)
    return event_id


async def _reversible_amount(reservation_id: uuid.UUID, amount: int | None) -> int:
    """What this reversal takes back: ``amount``, or all that is left. The conditional UPDATE that
    follows is what enforces it; this read only explains a refusal."""
    row = await sql.fetchrow(_RESERVATION, reservation_id)
    if row is None or row["status"] != ReservationStatus.POSTED.value:
        status = row["status"] if row else "missing"
        raise refused(LedgerErrorCode.NOT_REVERSIBLE, f"the redemption is {status}: no points were redeemed", "transfer_id")
    left = row["posted_amount"] - row["reversed_amount"]
    if left == 0:
        raise refused(LedgerErrorCode.NOT_REVERSIBLE, "the redemption is already fully reversed", "transfer_id")
    if amount is not None and amount > left:
        raise refused(
            LedgerErrorCode.NOT_REVERSIBLE,
            f"only {left:,} of the {row['posted_amount']:,} redeemed points can still be reversed",
            "amount",
        )
    return amount if amount is not None else left


async def expire_points(
    actor: Actor,
    programme_id: uuid.UUID,
    recipient_id: uuid.UUID,
    amount: int,
    *,
    reason: str,
    source: Source | str = Source.ADMIN,
    idempotency_key: str | None = None,
) -> BalanceChange:
    """Move ``amount`` available points out of the wallet to the programme's expiry account
    (a points-expiry policy). Refused with INSUFFICIENT_POINTS beyond the available points."""
    actor.require(Permission.LEDGER_ADJUST)
    amount, source, reason = rules.points(amount), rules.source(source), rules.reason(reason, required=True)
    request = Request.of(
        actor,
        idempotency_key,
        "ledger.expire_points",
        {"programme_id": programme_id, "recipient_id": recipient_id, "amount": amount, "source": source.value, "reason": reason},
    )

    async def effect(events: list[uuid.UUID]) -> BalanceChange:
        new = NewTransfer(
            kind=TransferKind.EXPIRE,
            source=source,
            phase=Phase.SINGLE,
            amount=amount,
            wallet_side=Direction.DEBIT,
            system_account_id=accounts.any_shard(programme_id, AccountKind.EXPIRY),
            reason=reason,
        )
        posted = await post(actor, Wallet(programme_id=programme_id, recipient_id=recipient_id), new, new_id(), utcnow())
        if posted is None:
            raise await insufficient(programme_id, recipient_id, amount)
        events.append(announce(actor, "points.expired", posted))
        return BalanceChange(transfer=posted.transfer, balance=posted.wallet.balance())

    return await commit(request, effect, BalanceChange)
