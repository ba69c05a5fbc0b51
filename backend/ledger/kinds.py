"""The ledger's vocabulary: the values its columns and its callers use."""

from __future__ import annotations

import enum


class AccountKind(str, enum.Enum):
    WALLET = "wallet"  # a recipient's points in one programme
    FUNDING = "funding"  # where earned points come from (and adjusted-away points go back to)
    SETTLEMENT = "settlement"  # where redeemed points go (and reversals come from)
    EXPIRY = "expiry"  # where expired points go


SYSTEM_KINDS = (AccountKind.FUNDING, AccountKind.SETTLEMENT, AccountKind.EXPIRY)


class TransferKind(str, enum.Enum):
    EARN = "earn"
    REDEEM = "redeem"
    REVERSE = "reverse"
    ADJUST = "adjust"
    EXPIRE = "expire"


class Source(str, enum.Enum):
    """Who asked for the movement: filters the transaction log ("marketplace", "loyalty platform" …)."""

    MARKETPLACE = "marketplace"
    LOYALTY_PLATFORM = "loyalty_platform"
    CAMPAIGN = "campaign"
    ADMIN = "admin"
    API = "api"


class Phase(str, enum.Enum):
    """TigerBeetle's transfer flags: posted at once, or pending and later posted or voided."""

    SINGLE = "single"
    PENDING = "pending"
    POST = "post"
    VOID = "void"


class ReservationStatus(str, enum.Enum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"  # released by the caller
    EXPIRED = "expired"  # voided by the sweep after its timeout


class TransactionStatus(str, enum.Enum):
    """The status of a line in the transaction log: a transfer posted at once is ``posted``; the
    transfers of a reservation carry the reservation's status."""

    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class Direction(str, enum.Enum):
    CREDIT = "credit"  # points into the wallet
    DEBIT = "debit"  # points out of the wallet


class AdjustmentStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
