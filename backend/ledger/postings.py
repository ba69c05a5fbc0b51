"""Writing one transfer: the wallet's balances, the system account's, and the immutable transfer
row, in the caller's transaction. The use cases in ``services/`` decide *which* transfer; this
module is the only place that knows how a transfer changes balances.

The no-overdraft rule is the ``WHERE`` of the wallet's UPDATE: the row changes only if its
available points (``credits_posted - debits_posted - debits_pending``) cover what the transfer
takes out, and whether a row came back decides. The check and the change are one statement, so
two concurrent reservations cannot both spend the last points: the second waits for the first's
row lock (PostgreSQL) or for the write lock (SQLite), then re-evaluates the condition.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.authz import Actor
from backend.ledger.kinds import Direction, Phase, Source, TransferKind
from backend.ledger.views import Balance, TransferView

# The wallet's state after the change; the recipient's external id rides along for the event.
_WALLET_STATE = """id, programme_id, recipient_id, debits_pending, debits_posted, credits_pending, credits_posted, sequence,
    (SELECT external_id FROM recipient_directory r WHERE r.id = ledger_accounts.recipient_id) AS recipient_external_id"""
_MOVE_WALLET_OF_OWNER = f"""UPDATE ledger_accounts
SET debits_pending = debits_pending + $3, debits_posted = debits_posted + $4,
    credits_pending = credits_pending + $5, credits_posted = credits_posted + $6, sequence = sequence + 1
WHERE programme_id = $1 AND recipient_id = $2 AND kind = 'wallet'
    AND credits_posted - debits_posted - debits_pending >= $7
RETURNING {_WALLET_STATE}"""
_MOVE_WALLET_BY_ID = f"""UPDATE ledger_accounts
SET debits_pending = debits_pending + $2, debits_posted = debits_posted + $3,
    credits_pending = credits_pending + $4, credits_posted = credits_posted + $5, sequence = sequence + 1
WHERE id = $1 AND kind = 'wallet'
    AND credits_posted - debits_posted - debits_pending >= $6
RETURNING {_WALLET_STATE}"""
_MOVE_SYSTEM = """UPDATE ledger_accounts SET debits_pending = debits_pending + $2, debits_posted = debits_posted + $3,
    credits_pending = credits_pending + $4, credits_posted = credits_posted + $5 WHERE id = $1"""
_INSERT_TRANSFER = """INSERT INTO ledger_transfers (id, programme_id, wallet_account_id, debit_account_id, credit_account_id,
    amount, kind, source, phase, pending_id, reverses_id, reference, reason, actor_kind, actor_id, actor_label, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"""


@dataclass(frozen=True)
class Change:
    """Deltas of an account's four balances."""

    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    def as_args(self) -> tuple[int, int, int, int]:
        return self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted


def balance_changes(phase: Phase, amount: int, held: int) -> tuple[Change, Change]:
    """(debit side, credit side) of a transfer, as in TigerBeetle: a single-phase transfer posts
    ``amount``; a pending one holds it; posting a pending transfer that held ``held`` posts
    ``amount`` ≤ ``held`` and releases the rest; voiding releases all of ``held``."""
    if phase is Phase.SINGLE:
        return Change(debits_posted=amount), Change(credits_posted=amount)
    if phase is Phase.PENDING:
        return Change(debits_pending=amount), Change(credits_pending=amount)
    if phase is Phase.POST:
        return Change(debits_pending=-held, debits_posted=amount), Change(credits_pending=-held, credits_posted=amount)
    return Change(debits_pending=-held), Change(credits_pending=-held)


@dataclass(frozen=True)
class Wallet:
    """Which wallet: by owner (the use cases that start from a recipient) or by id (those that
    start from a reservation)."""

    programme_id: uuid.UUID | None = None
    recipient_id: uuid.UUID | None = None
    id: uuid.UUID | None = None

    def move(self, new: NewTransfer) -> sql.Statement:
        """The UPDATE … RETURNING that moves the wallet as ``new`` does, if its available points
        cover what ``new`` takes out: the row after, or no row."""
        change, _, needed = _changes(new)
        if self.id is not None:
            return sql.Statement(_MOVE_WALLET_BY_ID, (self.id, *change.as_args(), needed))
        return sql.Statement(_MOVE_WALLET_OF_OWNER, (self.programme_id, self.recipient_id, *change.as_args(), needed))


@dataclass(frozen=True)
class WalletState:
    id: uuid.UUID
    programme_id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_external_id: str
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    sequence: int  # the wallet's change count after this state's change (see ``LedgerAccount.sequence``)

    @classmethod
    def of(cls, row) -> WalletState:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    def balance(self) -> Balance:
        posted = self.credits_posted - self.debits_posted
        return Balance(
            programme_id=self.programme_id,
            recipient_id=self.recipient_id,
            recipient_external_id=self.recipient_external_id,
            wallet_id=self.id,
            available=posted - self.debits_pending,
            pending=self.debits_pending,
            posted=posted,
        )

    def before(self, change: Change) -> WalletState:
        return WalletState(
            self.id,
            self.programme_id,
            self.recipient_id,
            self.recipient_external_id,
            self.debits_pending - change.debits_pending,
            self.debits_posted - change.debits_posted,
            self.credits_pending - change.credits_pending,
            self.credits_posted - change.credits_posted,
            self.sequence - 1,
        )


@dataclass(frozen=True)
class NewTransfer:
    kind: TransferKind
    source: Source
    phase: Phase
    amount: int
    wallet_side: Direction  # DEBIT: points leave the wallet; CREDIT: they arrive
    system_account_id: uuid.UUID
    held: int = 0  # for POST and VOID: what the pending transfer held
    pending_id: uuid.UUID | None = None
    reverses_id: uuid.UUID | None = None
    reference: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Posted:
    transfer: TransferView
    wallet: WalletState  # after
    wallet_before: WalletState


def _changes(new: NewTransfer) -> tuple[Change, Change, int]:
    """(the wallet's change, the system account's, the available points the wallet needs)."""
    debit_change, credit_change = balance_changes(new.phase, new.amount, new.held)
    wallet_is_debited = new.wallet_side is Direction.DEBIT
    wallet_change, system_change = (debit_change, credit_change) if wallet_is_debited else (credit_change, debit_change)
    # Only a new debit (single or pending) takes available points; closing a hold never needs more.
    needed = new.amount if wallet_is_debited and new.phase in (Phase.SINGLE, Phase.PENDING) else 0
    return wallet_change, system_change, needed


async def post(actor: Actor, wallet: Wallet, new: NewTransfer, transfer_id: uuid.UUID, now: datetime) -> Posted | None:
    """Write ``new``: None (and nothing written) when the wallet does not exist or its available
    points do not cover what the transfer takes out of it. The wallet changes at once (its row
    decides, and its state after comes back); the system account's move and the transfer row are
    deferred (``sql.defer``) and written with the use case's last statement. Should the shard be
    missing, the transfer's foreign key to it fails the transaction: nothing is lost.

    Locks the wallet row, then one system account row: every use case takes them in this order,
    after the reservation or adjustment row it closes, so concurrent transfers cannot deadlock."""
    rows = await sql.run(wallet.move(new))
    if not rows:
        return None
    after = WalletState.of(rows[0])
    wallet_change, system_change, _ = _changes(new)
    wallet_is_debited = new.wallet_side is Direction.DEBIT
    debit_account, credit_account = (after.id, new.system_account_id) if wallet_is_debited else (new.system_account_id, after.id)
    transfer = TransferView(
        id=transfer_id,
        programme_id=after.programme_id,
        wallet_id=after.id,
        debit_account_id=debit_account,
        credit_account_id=credit_account,
        amount=new.amount,
        kind=new.kind,
        source=new.source,
        phase=new.phase,
        pending_id=new.pending_id,
        reverses_id=new.reverses_id,
        reference=new.reference,
        reason=new.reason,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        actor_label=actor.label,
        created_at=now,
    )
    sql.defer(
        sql.Statement(
            _MOVE_SYSTEM, (new.system_account_id, *system_change.as_args()), row=("ledger_accounts", new.system_account_id)
        )
    )
    sql.defer(
        sql.Statement(
            _INSERT_TRANSFER,
            (
                transfer.id,
                transfer.programme_id,
                transfer.wallet_id,
                debit_account,
                credit_account,
                new.amount,
                new.kind.value,
                new.source.value,
                new.phase.value,
                new.pending_id,
                new.reverses_id,
                new.reference,
                new.reason,
                actor.kind.value,
                actor.id,
                actor.label,
                now,
            ),
        )
    )
    return Posted(transfer=transfer, wallet=after, wallet_before=after.before(wallet_change))
