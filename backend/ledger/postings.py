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
# Closing a hold in one statement (PostgreSQL): the claim of the reservation (an UPDATE … RETURNING
# its amount, posted_amount and wallet_account_id; see ``services/reservations.py``), then its
# wallet's move — all it held released, what was posted posted (``balance_changes`` of POST and
# VOID alike). The wallet's columns come back prefixed ``wallet_`` beside the reservation's.
_CLOSE_HOLD = """WITH claimed AS ({claim})
UPDATE ledger_accounts SET debits_pending = debits_pending - claimed.amount, debits_posted = debits_posted + claimed.posted_amount,
    sequence = ledger_accounts.sequence + 1
FROM claimed WHERE ledger_accounts.id = claimed.wallet_account_id AND ledger_accounts.kind = 'wallet'
RETURNING claimed.*, ledger_accounts.id AS wallet_id, ledger_accounts.programme_id AS wallet_programme_id,
    ledger_accounts.recipient_id AS wallet_recipient_id, ledger_accounts.debits_pending AS wallet_debits_pending,
    ledger_accounts.debits_posted AS wallet_debits_posted, ledger_accounts.credits_pending AS wallet_credits_pending,
    ledger_accounts.credits_posted AS wallet_credits_posted, ledger_accounts.sequence AS wallet_sequence,
    (SELECT external_id FROM recipient_directory r WHERE r.id = ledger_accounts.recipient_id) AS wallet_recipient_external_id"""
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
    def of(cls, row, prefix: str = "") -> WalletState:
        return cls(**{name: row[prefix + name] for name in cls.__dataclass_fields__})

    @classmethod
    def unknown(cls, wallet_id: uuid.UUID, programme_id: uuid.UUID, recipient_id: uuid.UUID) -> WalletState:
        """A wallet whose balances (and owner's external id) the database will fill in: see ``at_once``."""
        return cls(wallet_id, programme_id, recipient_id, "", 0, 0, 0, 0, 0)

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


def close_hold_sql(claim: str) -> str:
    """The statement that runs ``claim`` (a reservation's closing UPDATE … RETURNING) and moves its
    wallet as closing the hold does, in one round trip (PostgreSQL; SQLite has no UPDATE in a WITH).
    No row back: the claim matched nothing, and nothing changed."""
    return _CLOSE_HOLD.format(claim=claim)


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
    decides); the system account and the transfer row are deferred (``sql.defer``) and written
    with the use case's last statement.

    Locks the wallet row, then one system account row: every use case takes them in this order,
    after the reservation or adjustment row it closes, so concurrent transfers cannot deadlock."""
    rows = await sql.run(wallet.move(new))
    if not rows:
        return None
    return record(actor, WalletState.of(rows[0]), new, transfer_id, now)


def record(actor: Actor, after: WalletState, new: NewTransfer, transfer_id: uuid.UUID, now: datetime) -> Posted:
    """The rest of :func:`post` once the wallet has moved (``after`` is its state then; a use case
    that moved it in a statement of its own, such as :func:`close_hold_sql`, calls this directly):
    the system account's move and the transfer row, deferred. Should the shard be missing, the
    transfer's foreign key to it fails the transaction: nothing is lost."""
    posted, writes = transfer_writes(actor, after, new, transfer_id, now)
    for statement in writes:
        sql.defer(statement)
    return posted


def transfer_writes(
    actor: Actor,
    after: WalletState,
    new: NewTransfer,
    transfer_id: uuid.UUID,
    now: datetime,
) -> tuple[Posted, list[sql.Statement]]:
    """What :func:`record` defers (the system account's move, the transfer row), as statements,
    and what was posted."""
    wallet_change, system_change, _ = _changes(new)
    wallet_is_debited = new.wallet_side is Direction.DEBIT
    writes = [
        sql.Statement(
            _MOVE_SYSTEM, (new.system_account_id, *system_change.as_args()), row=("ledger_accounts", new.system_account_id)
        )
    ]
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
    writes.append(
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
    return Posted(transfer=transfer, wallet=after, wallet_before=after.before(wallet_change)), writes


def after_move(posted: Posted, after: WalletState) -> Posted:
    """``posted`` with the wallet's state as the database reports it after the move."""
    now, then = posted.wallet, posted.wallet_before
    change = Change(
        now.debits_pending - then.debits_pending,
        now.debits_posted - then.debits_posted,
        now.credits_pending - then.credits_pending,
        now.credits_posted - then.credits_posted,
    )
    return Posted(transfer=posted.transfer, wallet=after, wallet_before=after.before(change))
