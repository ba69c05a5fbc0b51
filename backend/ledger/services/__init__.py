"""The points ledger's use cases: the only writers of the ledger tables.

    from backend.ledger import services as ledger

    change = await ledger.reserve(actor, programme_id, recipient_id, 500, source="marketplace", idempotency_key=key)
    await ledger.confirm(actor, change.reservation.id, 450)        # 50 points are released

Every mutating use case takes the acting ``Actor`` (permissions ``points:write``, or
``ledger:adjust`` for adjustments and points expiry) and an optional ``idempotency_key``: a
replay with the same key returns the first result, the same key with another request is
IDEMPOTENCY_CONFLICT. Each writes its transfer, the balances, an audit entry and a
``ledger.balance_changed`` outbox event in one transaction. Refusals are ``DomainError``s
whose codes are ``LedgerErrorCode`` values, and change nothing.
"""

from backend.ledger.services.adjustments import (
    approve_adjustment,
    get_adjustment,
    list_adjustments,
    reject_adjustment,
    request_adjustment,
    withdraw_adjustment,
)
from backend.ledger.services.points import earn, expire_points, reverse
from backend.ledger.services.reservations import confirm, expire_due, release, reserve
from backend.ledger.services.transaction_log import (
    HistoryFilter,
    count_history,
    get_reservation,
    get_transfer,
    history,
    list_reservations,
    transfer_chain,
    transfers_by_reference,
)
from backend.ledger.services.wallets import balance, open_wallet, wallet_balance, wallets_of

__all__ = [
    "HistoryFilter",
    "approve_adjustment",
    "balance",
    "confirm",
    "count_history",
    "earn",
    "expire_due",
    "expire_points",
    "get_adjustment",
    "get_reservation",
    "get_transfer",
    "history",
    "list_adjustments",
    "list_reservations",
    "open_wallet",
    "reject_adjustment",
    "withdraw_adjustment",
    "release",
    "request_adjustment",
    "reserve",
    "reverse",
    "transfer_chain",
    "transfers_by_reference",
    "wallet_balance",
    "wallets_of",
]
