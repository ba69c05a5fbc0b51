"""GraphQL types of the points ledger: balances, transfers (the transaction log), reservations,
the mutations' inputs and payloads, and ``LedgerErrorCode``.

The enums are the ledger's own (wrapped, not copied), so the API cannot drift from the service:
a code or a kind the ledger learns appears in the schema, and the schema drift test says so.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import NewType

import strawberry

from backend.api.errors import UserError, errors_field, payload_errors
from backend.api.graphql_values import optional_id
from backend.core.errors import FieldError
from backend.ledger.errors import LedgerErrorCode as DomainLedgerErrorCode
from backend.ledger.kinds import Direction, Phase, ReservationStatus, Source, TransactionStatus, TransferKind
from backend.ledger.services import HistoryFilter
from backend.ledger.views import Balance, BalanceChange, ReservationChange, ReservationView, TransferView


def _whole_points(value: object) -> int:
    # JSON has one number type: 1.0 or "1" must not pass for a point.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"points are a whole number, not {value!r}")
    return value


# GraphQL's Int stops at 2^31 - 1; a wallet may hold more. A JSON number up to 10^12 is exact everywhere.
Points = NewType("Points", int)
SCALARS = {
    Points: strawberry.scalar(
        name="Points",
        serialize=int,
        parse_value=_whole_points,
        description="A whole number of points (up to 1,000,000,000,000), written as a JSON number.",
    ),
}

LedgerErrorCode = strawberry.enum(
    DomainLedgerErrorCode, name="LedgerErrorCode", description="Why a points mutation changed nothing."
)
PointsSource = strawberry.enum(Source, name="PointsSource", description="Who asked for a movement of points.")
PointsTransferKind = strawberry.enum(TransferKind, name="PointsTransferKind", description="What a transfer does.")
PointsTransferPhase = strawberry.enum(
    Phase,
    name="PointsTransferPhase",
    description="SINGLE: posted at once. PENDING: a reservation's hold. POST / VOID: the transfer that confirmed or released it.",
)
PointsTransactionStatus = strawberry.enum(
    TransactionStatus,
    name="PointsTransactionStatus",
    description="A line of the log: POSTED, or the status of the reservation its transfer belongs to.",
)
PointsReservationStatus = strawberry.enum(
    ReservationStatus,
    name="PointsReservationStatus",
    description="PENDING until confirmed (POSTED), released (VOIDED) or timed out (EXPIRED).",
)
PointsDirection = strawberry.enum(Direction, name="PointsDirection", description="CREDIT: into the wallet. DEBIT: out of it.")


@strawberry.enum(description="Where points are spent: the two sources a reservation may come from.")
class RedemptionSource(enum.Enum):
    MARKETPLACE = Source.MARKETPLACE.value
    LOYALTY_PLATFORM = Source.LOYALTY_PLATFORM.value


@strawberry.type(description="A recipient's points in one programme.")
class PointsBalance:
    programme_id: strawberry.ID
    recipient_id: strawberry.ID
    recipient_external_id: str
    wallet_id: strawberry.ID | None = strawberry.field(description="Null until the recipient's first points in this programme.")
    available: Points = strawberry.field(description="What may be reserved or spent now: posted − pending.")
    pending: Points = strawberry.field(description="Held by open reservations.")
    posted: Points = strawberry.field(description="Credits − debits posted.")

    @classmethod
    def from_view(cls, balance: Balance) -> PointsBalance:
        return cls(
            programme_id=optional_id(balance.programme_id),
            recipient_id=optional_id(balance.recipient_id),
            recipient_external_id=balance.recipient_external_id,
            wallet_id=optional_id(balance.wallet_id),
            available=balance.available,
            pending=balance.pending,
            posted=balance.posted,
        )


@strawberry.type(
    description="One immutable movement of points between a wallet and the programme: a line of the transaction log."
)
class PointsTransfer:
    id: strawberry.ID
    programme_id: strawberry.ID
    wallet_id: strawberry.ID
    kind: PointsTransferKind
    source: PointsSource
    phase: PointsTransferPhase
    status: PointsTransactionStatus
    direction: PointsDirection
    amount: Points = strawberry.field(description="Always positive; `direction` says which way.")
    reservation_id: strawberry.ID | None = strawberry.field(
        description="The reservation this transfer holds, confirms or releases."
    )
    reverses_id: strawberry.ID | None = strawberry.field(
        description="For a reversal: the confirming transfer it gives points back for."
    )
    reference: str | None = strawberry.field(description="Your reference, e.g. an order id.")
    reason: str
    actor: str = strawberry.field(description="Who made it, as the audit log names them (e.g. `api-key:marketplace`).")
    created_at: datetime

    @classmethod
    def from_view(cls, transfer: TransferView, status: TransactionStatus) -> PointsTransfer:
        holds = transfer.phase is Phase.PENDING
        return cls(
            id=optional_id(transfer.id),
            programme_id=optional_id(transfer.programme_id),
            wallet_id=optional_id(transfer.wallet_id),
            kind=transfer.kind,
            source=transfer.source,
            phase=transfer.phase,
            status=status,
            direction=transfer.direction,
            amount=transfer.amount,
            reservation_id=optional_id(transfer.id if holds else transfer.pending_id),
            reverses_id=optional_id(transfer.reverses_id),
            reference=transfer.reference,
            reason=transfer.reason,
            actor=transfer.actor_label,
            created_at=transfer.created_at,
        )


@strawberry.type(description="Points held for a purchase until it is confirmed, released or times out.")
class PointsReservation:
    id: strawberry.ID = strawberry.field(description="Also the id of its PENDING transfer.")
    programme_id: strawberry.ID
    wallet_id: strawberry.ID
    amount: Points = strawberry.field(description="What was held.")
    status: PointsReservationStatus
    timeout_at: datetime = strawberry.field(description="After this it can no longer be confirmed, and the hold is released.")
    posted_amount: Points = strawberry.field(description="What the confirmation spent (0 until confirmed).")
    released_amount: Points = strawberry.field(
        description="What went back to the wallet: all of a release or expiry, the rest of a partial confirmation."
    )
    reversed_amount: Points = strawberry.field(description="What reversals (refunds) have given back since.")
    source: PointsSource
    reference: str | None
    offer_id: strawberry.ID | None = strawberry.field(description="The catalogue offer the points pay for, if named.")
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def from_view(cls, reservation: ReservationView) -> PointsReservation:
        return cls(
            id=optional_id(reservation.id),
            programme_id=optional_id(reservation.programme_id),
            wallet_id=optional_id(reservation.wallet_id),
            amount=reservation.amount,
            status=reservation.status,
            timeout_at=reservation.timeout_at,
            posted_amount=reservation.posted_amount,
            released_amount=reservation.released_amount,
            reversed_amount=reservation.reversed_amount,
            source=reservation.source,
            reference=reservation.reference,
            offer_id=optional_id(reservation.offer_id),
            created_at=reservation.created_at,
            closed_at=reservation.closed_at,
        )


@strawberry.input(description="Narrows the transaction log; every given field must match.")
class PointsTransactionFilterInput:
    source: PointsSource | None = None
    kind: PointsTransferKind | None = None
    status: PointsTransactionStatus | None = None
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")

    def to_domain(self) -> HistoryFilter:
        return HistoryFilter(source=self.source, kind=self.kind, status=self.status, since=self.since, until=self.until)


# ---------------------------------------------------------------- mutation inputs

# Fields several inputs share (a strawberry field belongs to one class, so each input gets its own).


def idempotency_key_field():
    return strawberry.field(
        description="Your unique id for this call (1–200 printable characters). Retrying with the same key and input "
        "returns the first result; the same key with another input is IDEMPOTENCY_CONFLICT."
    )


def recipient_id_field():
    return strawberry.field(default=None, description="Mirabelle's recipient id. Give this or `recipientExternalId`.")


def recipient_external_id_field():
    return strawberry.field(default=None, description="Your system's id of the recipient (needs `recipients:read` too).")


@strawberry.input(description="Hold points of a recipient's wallet until you confirm or release them.")
class ReservePointsInput:
    programme_id: strawberry.ID
    amount: Points
    source: RedemptionSource
    idempotency_key: str = idempotency_key_field()
    recipient_id: strawberry.ID | None = recipient_id_field()
    recipient_external_id: str | None = recipient_external_id_field()
    reference: str | None = strawberry.field(
        default=None, description="Your reference, e.g. a basket or order id (≤ 200 characters)."
    )
    reason: str | None = None
    timeout_seconds: int | None = strawberry.field(
        default=None, description="How long the hold lasts, 1 second to 7 days; default 15 minutes."
    )
    offer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The catalogue offer the points pay for (OFFER_NOT_FOUND if there is none such): confirming "
        "the reservation then counts as a redemption of it in partner performance.",
    )

    def timeout(self) -> timedelta | None:
        return timedelta(seconds=self.timeout_seconds) if self.timeout_seconds is not None else None


@strawberry.input(description="Spend what a reservation holds: all of it, or `amount` and release the rest.")
class ConfirmReservationInput:
    reservation_id: strawberry.ID
    idempotency_key: str = idempotency_key_field()
    amount: Points | None = strawberry.field(
        default=None, description="Less than the reservation holds for a partial confirmation."
    )
    reference: str | None = strawberry.field(
        default=None, description="e.g. the order id, if known only now; default the reservation's."
    )
    reason: str | None = None
    offer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The catalogue offer paid for, if known only now; default the reservation's."
    )


@strawberry.input(description="Give a reservation's points back to the wallet.")
class ReleaseReservationInput:
    reservation_id: strawberry.ID
    reason: str
    idempotency_key: str = idempotency_key_field()


@strawberry.input(description="Credit earned points to a recipient's wallet.")
class CreditPointsInput:
    programme_id: strawberry.ID
    amount: Points
    idempotency_key: str = idempotency_key_field()
    recipient_id: strawberry.ID | None = recipient_id_field()
    recipient_external_id: str | None = recipient_external_id_field()
    source: PointsSource = strawberry.field(default=Source.API, description="Who earned them for the recipient; default API.")
    reference: str | None = None
    reason: str | None = None


@strawberry.input(description="Give back the points of a confirmed redemption (a refund), all or part.")
class ReverseRedemptionInput:
    reason: str
    idempotency_key: str = idempotency_key_field()
    transfer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The confirming (POST) transfer. Give this or `reservationId`."
    )
    reservation_id: strawberry.ID | None = strawberry.field(default=None, description="The confirmed reservation.")
    amount: Points | None = strawberry.field(
        default=None, description="Default: all that is not reversed yet. Several partial reversals may follow."
    )


# ---------------------------------------------------------------- payloads


@strawberry.type(description="A reason a points mutation changed nothing.")
class LedgerError(UserError):
    code: LedgerErrorCode


def ledger_errors(errors: list[FieldError], renamed: dict[str, str] | None = None) -> list[LedgerError]:
    """The service's errors, with its argument names turned into the input's where they differ."""
    renamed = renamed or {}
    errors = [FieldError(field=renamed.get(e.field, e.field), code=e.code, message=e.message) for e in errors]
    return payload_errors(LedgerError, LedgerErrorCode, errors)


@strawberry.type(description="A reservation after reservePoints, confirmReservation or releaseReservation.")
class ReservationPayload:
    reservation: PointsReservation | None
    transfer: PointsTransfer | None = strawberry.field(
        description="The transfer this call wrote: the hold, its confirmation or its release."
    )
    balance: PointsBalance | None = strawberry.field(description="The wallet after it.")
    errors: list[LedgerError] = errors_field()

    @classmethod
    def of(cls, change: ReservationChange) -> ReservationPayload:
        status = TransactionStatus(change.reservation.status.value)  # a reservation's transfers carry its status
        return cls(
            reservation=PointsReservation.from_view(change.reservation),
            transfer=PointsTransfer.from_view(change.transfer, status),
            balance=PointsBalance.from_view(change.balance),
            errors=[],
        )

    @classmethod
    def refused(cls, errors: list[FieldError], renamed: dict[str, str] | None = None) -> ReservationPayload:
        return cls(reservation=None, transfer=None, balance=None, errors=ledger_errors(errors, renamed))


@strawberry.type(description="A transfer posted at once (creditPoints, reverseRedemption) and the wallet after it.")
class TransferPayload:
    transfer: PointsTransfer | None
    balance: PointsBalance | None
    errors: list[LedgerError] = errors_field()

    @classmethod
    def of(cls, change: BalanceChange) -> TransferPayload:
        return cls(
            transfer=PointsTransfer.from_view(change.transfer, TransactionStatus.POSTED),
            balance=PointsBalance.from_view(change.balance),
            errors=[],
        )

    @classmethod
    def refused(cls, errors: list[FieldError], renamed: dict[str, str] | None = None) -> TransferPayload:
        return cls(transfer=None, balance=None, errors=ledger_errors(errors, renamed))
