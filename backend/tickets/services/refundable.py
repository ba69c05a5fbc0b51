"""What of a ticket's recipient's points redemptions can still be refunded: the confirmed
redemptions of their wallet in the ticket's programme, read through the ledger's public services,
less what was refunded already and what other refunds of them await a second person's approval.

The ledger's conditional update (never more reversed than was redeemed) is what holds at the
moment points move; the refunds waiting for approval are counted here so that an agent is refused
when asking, not a checker later when approving."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError, NotFound
from backend.ledger import services as ledger
from backend.ledger.errors import LedgerErrorCode
from backend.ledger.kinds import Phase, ReservationStatus, TransferKind
from backend.ledger.views import ReservationView
from backend.tickets.services.action_rows import PENDING_APPROVAL, REFUND_POINTS, acting_for_ticket

LISTED = 200  # the recipient's most recent confirmed redemptions offered to pick from (one ledger page)

# Refunds of this recipient's redemptions that wait for a second person, on any of their tickets.
_AWAITING = """SELECT a.transfer_id, SUM(a.amount) AS points FROM ticket_actions a JOIN tickets t ON t.id = a.ticket
WHERE t.programme_id = $1 AND t.recipient_id = $2 AND a.kind = $3 AND a.status = $4 GROUP BY a.transfer_id"""


@dataclass(frozen=True)
class Redemption:
    """A confirmed redemption as the agent picks it: the confirming transfer, when, how many points,
    the caller's reference, and what is left to refund."""

    transfer_id: uuid.UUID  # the confirming (post) transfer; its reservation's id is accepted too
    reservation_id: uuid.UUID
    redeemed_at: datetime
    points: int
    reference: str | None
    refunded: int
    awaiting_approval: int

    @property
    def refundable(self) -> int:
        return max(self.points - self.refunded - self.awaiting_approval, 0)


def _reader(actor: Actor) -> Actor:
    # The refund authorises reading the redemptions it may reverse (an agent holds no points:read).
    return acting_for_ticket(actor, Permission.POINTS_READ)


async def _wallet_id(actor: Actor, ticket) -> uuid.UUID | None:
    if ticket["recipient_id"] is None:
        raise DomainError.single(
            "NO_RECIPIENT", "this ticket names no recipient whose points could be refunded", field="ticket_id"
        )
    return (await ledger.balance(_reader(actor), ticket["programme_id"], ticket["recipient_id"])).wallet_id


async def _awaiting(ticket) -> dict[uuid.UUID, int]:
    rows = await sql.fetch(_AWAITING, ticket["programme_id"], ticket["recipient_id"], REFUND_POINTS, PENDING_APPROVAL)
    return {row["transfer_id"]: int(row["points"]) for row in rows}


def _redemption(reservation: ReservationView, awaiting: dict[uuid.UUID, int]) -> Redemption:
    held = awaiting.get(reservation.closing_transfer_id, 0) + awaiting.get(reservation.id, 0)
    return Redemption(
        transfer_id=reservation.closing_transfer_id,
        reservation_id=reservation.id,
        redeemed_at=reservation.closed_at or reservation.created_at,
        points=reservation.posted_amount,
        reference=reservation.reference,
        refunded=reservation.reversed_amount,
        awaiting_approval=held,
    )


async def refundable_redemptions(actor: Actor, ticket) -> list[Redemption]:
    """The recipient's confirmed redemptions in the ticket's programme with points left to refund,
    newest first (among their ``LISTED`` most recent)."""
    wallet_id = await _wallet_id(actor, ticket)
    if wallet_id is None:
        return []
    page = await ledger.list_reservations(_reader(actor), wallet_id, status=ReservationStatus.POSTED, limit=LISTED)
    awaiting = await _awaiting(ticket)
    found = [_redemption(reservation, awaiting) for reservation in page.reservations]
    return [redemption for redemption in found if redemption.refundable > 0]


async def redemption_to_refund(actor: Actor, ticket, transfer_id: uuid.UUID, points: int) -> Redemption:
    """The redemption ``transfer_id`` (its confirming transfer or its reservation) of the ticket's
    recipient in its programme, with ``points`` still refundable; else the reason, on its field."""
    wallet_id = await _wallet_id(actor, ticket)
    try:
        transfer = await ledger.get_transfer(_reader(actor), transfer_id)
    except DomainError as error:
        if error.code != LedgerErrorCode.TRANSFER_NOT_FOUND.value:
            raise
        transfer = None
    if transfer is None or wallet_id is None or transfer.wallet_id != wallet_id:  # another's: not theirs to name
        raise NotFound("redemption of this ticket's recipient", transfer_id, field="transfer_id")
    if transfer.kind is not TransferKind.REDEEM or transfer.phase not in (Phase.PENDING, Phase.POST):
        raise DomainError.single("NOT_A_REDEMPTION", "only a confirmed redemption of points is refunded", field="transfer_id")
    reservation = await ledger.get_reservation(_reader(actor), transfer.pending_id or transfer.id)
    if reservation.status is not ReservationStatus.POSTED:
        raise DomainError.single(
            "NOT_A_REDEMPTION", f"this redemption is {reservation.status.value}: no points were taken", field="transfer_id"
        )
    redemption = _redemption(reservation, await _awaiting(ticket))
    if redemption.refundable == 0:
        waiting = " (the rest waits for a second person's approval)" if redemption.awaiting_approval else ""
        raise DomainError.single(
            "ALREADY_REFUNDED",
            f"the {redemption.points:,} points of this redemption are refunded already{waiting}",
            field="transfer_id",
        )
    if points > redemption.refundable:
        raise DomainError.single(
            "OVER_REFUNDABLE",
            f"only {redemption.refundable:,} of the {redemption.points:,} redeemed points can still be refunded"
            f" ({redemption.refunded:,} refunded, {redemption.awaiting_approval:,} waiting for approval)",
            field="points",
        )
    return redemption
