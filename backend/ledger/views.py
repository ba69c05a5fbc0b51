"""What the ledger's use cases return. Plain frozen dataclasses: the API, the console and the
idempotency store (which keeps a first result as JSON) all read the same shapes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core.clock import as_utc
from backend.ledger.kinds import AdjustmentStatus, Direction, Phase, ReservationStatus, Source, TransactionStatus, TransferKind


@dataclass(frozen=True)
class Balance:
    """A wallet's points. ``posted`` = credits − debits posted; ``pending`` = points on hold for
    open reservations; ``available`` = posted − pending, what may be reserved or spent now."""

    programme_id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_external_id: str
    wallet_id: uuid.UUID | None  # None: the recipient has no wallet in this programme yet
    available: int
    pending: int
    posted: int


@dataclass(frozen=True)
class TransferView:
    id: uuid.UUID
    programme_id: uuid.UUID
    wallet_id: uuid.UUID
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    amount: int
    kind: TransferKind
    source: Source
    phase: Phase
    pending_id: uuid.UUID | None
    reverses_id: uuid.UUID | None
    reference: str | None
    reason: str
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_label: str
    created_at: datetime

    @property
    def direction(self) -> Direction:
        """Into or out of the wallet."""
        return Direction.CREDIT if self.credit_account_id == self.wallet_id else Direction.DEBIT


@dataclass(frozen=True)
class ReservationView:
    id: uuid.UUID  # also the id of its pending transfer
    programme_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: int
    status: ReservationStatus
    timeout_at: datetime
    posted_amount: int
    reversed_amount: int
    closing_transfer_id: uuid.UUID | None  # the post or void transfer
    closed_at: datetime | None
    created_at: datetime
    source: Source
    reference: str | None
    offer_id: uuid.UUID | None = None  # the offer the points pay for, if the caller named one

    @property
    def released_amount(self) -> int:
        """Points held and given back (all of a voided or expired reservation, the rest of a partial confirm)."""
        return 0 if self.status is ReservationStatus.PENDING else self.amount - self.posted_amount


@dataclass(frozen=True)
class BalanceChange:
    """The result of a use case that moved points: the transfer written and the balance after it."""

    transfer: TransferView
    balance: Balance


@dataclass(frozen=True)
class ReservationChange:
    """The result of reserve, confirm and release: the reservation, the transfer that changed it
    (pending, post or void) and the balance after it."""

    reservation: ReservationView
    transfer: TransferView
    balance: Balance


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a wallet's transaction log."""

    transfer: TransferView
    status: TransactionStatus

    @property
    def signed_amount(self) -> int:
        """Positive into the wallet, negative out of it."""
        return self.transfer.amount if self.transfer.direction is Direction.CREDIT else -self.transfer.amount


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    next_cursor: uuid.UUID | None  # pass as ``after`` for the next (older) page; None at the end


@dataclass(frozen=True)
class ReservationPage:
    reservations: list[ReservationView]
    next_cursor: uuid.UUID | None


@dataclass(frozen=True)
class AdjustmentView:
    id: uuid.UUID
    programme_id: uuid.UUID
    recipient_id: uuid.UUID
    direction: Direction
    amount: int
    reason: str
    status: AdjustmentStatus
    requested_by_kind: str
    requested_by_id: uuid.UUID | None
    requested_by_label: str
    requested_at: datetime
    decided_by_label: str | None
    decided_at: datetime | None
    decision_note: str
    transfer_id: uuid.UUID | None  # the adjust transfer, once approved


@dataclass(frozen=True)
class AdjustmentPage:
    adjustments: list[AdjustmentView]
    next_cursor: uuid.UUID | None


def transfer_view(row) -> TransferView:
    return TransferView(
        id=row["id"],
        programme_id=row["programme_id"],
        wallet_id=row["wallet_account_id"],
        debit_account_id=row["debit_account_id"],
        credit_account_id=row["credit_account_id"],
        amount=row["amount"],
        kind=TransferKind(row["kind"]),
        source=Source(row["source"]),
        phase=Phase(row["phase"]),
        pending_id=row["pending_id"],
        reverses_id=row["reverses_id"],
        reference=row["reference"],
        reason=row["reason"],
        actor_kind=row["actor_kind"],
        actor_id=row["actor_id"],
        actor_label=row["actor_label"],
        created_at=as_utc(row["created_at"]),
    )


def reservation_view(row) -> ReservationView:
    """From a reservation row joined with its pending transfer's programme_id, source and reference."""
    return ReservationView(
        id=row["id"],
        programme_id=row["programme_id"],
        wallet_id=row["wallet_account_id"],
        amount=row["amount"],
        status=ReservationStatus(row["status"]),
        timeout_at=as_utc(row["timeout_at"]),
        posted_amount=row["posted_amount"],
        reversed_amount=row["reversed_amount"],
        closing_transfer_id=row["closing_transfer_id"],
        closed_at=as_utc(row["closed_at"]) if row["closed_at"] is not None else None,
        created_at=as_utc(row["created_at"]),
        source=Source(row["source"]),
        reference=row["reference"],
        offer_id=row["offer_id"],
    )


def adjustment_view(row) -> AdjustmentView:
    return AdjustmentView(
        id=row["id"],
        programme_id=row["programme_id"],
        recipient_id=row["recipient_id"],
        direction=Direction(row["direction"]),
        amount=row["amount"],
        reason=row["reason"],
        status=AdjustmentStatus(row["status"]),
        requested_by_kind=row["requested_by_kind"],
        requested_by_id=row["requested_by_id"],
        requested_by_label=row["requested_by_label"],
        requested_at=as_utc(row["requested_at"]),
        decided_by_label=row["decided_by_label"],
        decided_at=as_utc(row["decided_at"]) if row["decided_at"] is not None else None,
        decision_note=row["decision_note"],
        transfer_id=row["transfer_id"],
    )
