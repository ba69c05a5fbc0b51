"""The points ledger's tables: TigerBeetle's two-phase model in SQL.

* ``ledger_accounts`` keep their four balances on the row, changed in the transaction of the
  transfer that moves them. A wallet's available points are ``credits_posted - debits_posted -
  debits_pending``; the conditional UPDATE that takes points out of a wallet is what keeps that
  at or above zero (a database CHECK backs it up; see the ledger migrations).
* ``ledger_transfers`` are immutable (a trigger refuses UPDATE and DELETE). A reservation is a
  *pending* transfer; posting or voiding it is a *new* transfer linked by ``pending_id``; a
  reversal is a new transfer linked by ``reverses_id``.
* ``ledger_reservations`` carry the lifecycle of a pending transfer (same id): each closing step is
  a conditional UPDATE ``... WHERE status = 'pending'``, so it happens exactly once.
* ``adjustment_requests``: manual corrections by finance, approved by a second person.

Indexes that are not plain column indexes (partial and unique ones) are created in the migrations.
"""

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from backend.core.ids import UUID7Default
from backend.recipients.tables import Programme, Recipient


class LedgerAccount(Table, tablename="ledger_accounts"):
    """A wallet (one per programme and recipient) or one shard of a programme's system account."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = ForeignKey(references=Programme, on_delete=OnDelete.restrict, null=False)
    recipient_id = ForeignKey(references=Recipient, on_delete=OnDelete.restrict, null=True, default=None)
    kind = Varchar(length=16)  # wallet | funding | settlement | expiry
    shard = Integer(default=0)  # 0 for wallets; 0..SHARDS-1 for system accounts
    debits_pending = BigInt(default=0)
    debits_posted = BigInt(default=0)
    credits_pending = BigInt(default=0)
    credits_posted = BigInt(default=0)
    # A wallet's changes, counted: each move adds one in the UPDATE that moves the balances, so the
    # number is taken under the row's lock and follows commit order, gap-free. The balance events
    # carry it; a receiver keeps the one with the highest. (System accounts leave it at 0.)
    sequence = BigInt(default=0)
    created_at = Timestamptz()


class LedgerTransfer(Table, tablename="ledger_transfers"):
    """One immutable movement of points from ``debit_account_id`` to ``credit_account_id``.

    Every transfer has a wallet on one side and a system account on the other; ``wallet_account_id``
    names the wallet so that a wallet's history is one index range."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID()
    wallet_account_id = ForeignKey(references=LedgerAccount, on_delete=OnDelete.restrict, null=False)
    debit_account_id = ForeignKey(references=LedgerAccount, on_delete=OnDelete.restrict, null=False)
    credit_account_id = ForeignKey(references=LedgerAccount, on_delete=OnDelete.restrict, null=False)
    amount = BigInt()
    kind = Varchar(length=16)  # earn | redeem | reverse | adjust | expire
    source = Varchar(length=24)  # marketplace | loyalty_platform | campaign | admin | api
    phase = Varchar(length=8)  # single | pending | post | void
    pending_id = ForeignKey(references="self", on_delete=OnDelete.restrict, null=True, default=None)
    reverses_id = ForeignKey(references="self", on_delete=OnDelete.restrict, null=True, default=None)
    reference = Varchar(length=200, null=True, default=None)
    reason = Text(default="")
    actor_kind = Varchar(length=16)
    actor_id = UUID(null=True, default=None)
    actor_label = Varchar(length=255)
    created_at = Timestamptz()


class LedgerReservation(Table, tablename="ledger_reservations"):
    """The lifecycle of a pending transfer (same id): pending → posted | voided | expired."""

    id = UUID(primary_key=True)  # the pending transfer's id
    wallet_account_id = ForeignKey(references=LedgerAccount, on_delete=OnDelete.restrict, null=False)
    settlement_account_id = ForeignKey(references=LedgerAccount, on_delete=OnDelete.restrict, null=False)
    amount = BigInt()
    status = Varchar(length=16, default="pending")
    timeout_at = Timestamptz()
    posted_amount = BigInt(default=0)
    reversed_amount = BigInt(default=0)
    closing_transfer_id = UUID(null=True, default=None)  # the post or void transfer
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    # The catalogue offer the points pay for, if the caller named one: its confirmation is then a
    # redemption of that offer (``ledger.points_redeemed``, recorded by insights). Not a foreign
    # key: the catalogue sits above the ledger.
    offer_id = UUID(null=True, default=None)


class AdjustmentRequest(Table, tablename="adjustment_requests"):
    """A manual credit or debit asked for by one finance user and approved by another."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = ForeignKey(references=Programme, on_delete=OnDelete.restrict, null=False)
    recipient_id = ForeignKey(references=Recipient, on_delete=OnDelete.restrict, null=False)
    direction = Varchar(length=8)  # credit | debit
    amount = BigInt()
    reason = Text()
    status = Varchar(length=16, default="pending")  # pending | approved | rejected
    requested_by_kind = Varchar(length=16)
    requested_by_id = UUID(null=True, default=None)
    requested_by_label = Varchar(length=255)
    requested_at = Timestamptz()
    decided_by_kind = Varchar(length=16, null=True, default=None)
    decided_by_id = UUID(null=True, default=None)
    decided_by_label = Varchar(length=255, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
    transfer_id = UUID(null=True, default=None)
