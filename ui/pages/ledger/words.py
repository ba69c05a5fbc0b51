"""How the ledger's values read on screen: labels for kinds, sources and statuses, and amounts
as the change a person sees in the wallet."""

from __future__ import annotations

from backend.ledger.kinds import Direction, Phase, Source, TransactionStatus, TransferKind
from backend.ledger.views import TransferView

SOURCES = {
    Source.MARKETPLACE: "Marketplace",
    Source.LOYALTY_PLATFORM: "Loyalty platform",
    Source.CAMPAIGN: "Campaign",
    Source.ADMIN: "Admin",
    Source.API: "API",
}
KINDS = {
    TransferKind.EARN: "Earned",
    TransferKind.REDEEM: "Redemption",
    TransferKind.REVERSE: "Reversal (refund)",
    TransferKind.ADJUST: "Manual adjustment",
    TransferKind.EXPIRE: "Points expired",
}
# A redemption is three steps in the log: the hold, then its confirmation or its release.
_REDEMPTION_STEPS = {Phase.PENDING: "Redemption: hold", Phase.POST: "Redemption: confirmed", Phase.VOID: "Redemption: released"}
STATUSES = {status: status.value.capitalize() for status in TransactionStatus}
# By value: a transaction line, a reservation and an adjustment share these words.
STATUS_COLOURS = {
    "pending": "warning",
    "posted": "positive",
    "approved": "positive",
    "voided": "grey-7",
    "expired": "grey-7",
    "rejected": "grey-7",
}
DIRECTIONS = {Direction.CREDIT: "Credit (add points)", Direction.DEBIT: "Debit (remove points)"}


def points(amount: int) -> str:
    return f"{amount:,}"


def signed(amount: int, direction: Direction) -> str:
    return f"{'+' if direction is Direction.CREDIT else '−'}{amount:,}"


def what(transfer: TransferView) -> str:
    if transfer.kind is TransferKind.REDEEM:
        return _REDEMPTION_STEPS.get(transfer.phase, KINDS[transfer.kind])
    return KINDS[transfer.kind]


def movement(transfer: TransferView) -> str:
    """What the transfer did to the wallet: a hold and a release do not change posted points."""
    if transfer.phase is Phase.PENDING:
        return f"{transfer.amount:,} held"
    if transfer.phase is Phase.VOID:
        return f"{transfer.amount:,} released"
    return signed(transfer.amount, transfer.direction)


def has_chain(transfer: TransferView) -> bool:
    """Redemptions and their reversals are linked transfers; the rest stand alone."""
    return transfer.kind in (TransferKind.REDEEM, TransferKind.REVERSE)
