"""`mirabelle ledger verify`: recompute every balance from the transfers and compare.

The four balances on each account row are a cache kept in the transaction of each transfer;
the transfers are the truth. From them alone:

* posted = the amounts of single-phase and post transfers, on each side;
* pending = the amounts of pending transfers that no post or void transfer has closed yet.

Then: every programme's accounts sum to zero (each transfer adds its amount to one debit and
one credit); no wallet is overdrawn; each reservation agrees with its transfers (status, posted
and reversed amounts, one closing transfer). Everything is read in one snapshot (REPEATABLE READ
on PostgreSQL, a read transaction on SQLite), so it can run while the ledger is busy; called
inside a transaction, it reads in that one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from piccolo.engine.sqlite import SQLiteEngine

from backend.core import sql
from backend.core.db import current_engine

BALANCES = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")

_RECOMPUTED = """SELECT account_id, SUM(debits_pending) AS debits_pending, SUM(debits_posted) AS debits_posted,
    SUM(credits_pending) AS credits_pending, SUM(credits_posted) AS credits_posted
FROM (
    SELECT debit_account_id AS account_id, 0 AS debits_pending, amount AS debits_posted, 0 AS credits_pending, 0 AS credits_posted
    FROM ledger_transfers WHERE phase IN ('single', 'post')
    UNION ALL
    SELECT credit_account_id, 0, 0, 0, amount FROM ledger_transfers WHERE phase IN ('single', 'post')
    UNION ALL
    SELECT debit_account_id, amount, 0, 0, 0 FROM ledger_transfers WHERE phase = 'pending' AND id NOT IN (SELECT pending_id FROM closed)
    UNION ALL
    SELECT credit_account_id, 0, 0, amount, 0 FROM ledger_transfers WHERE phase = 'pending' AND id NOT IN (SELECT pending_id FROM closed)
) AS sides GROUP BY account_id"""
_CLOSED = "WITH closed AS (SELECT pending_id FROM ledger_transfers WHERE pending_id IS NOT NULL) "
_ACCOUNTS = """SELECT id, programme_id, recipient_id, kind, shard, debits_pending, debits_posted, credits_pending, credits_posted
FROM ledger_accounts"""
_PROGRAMME_SUMS = """SELECT programme_id, SUM(credits_posted - debits_posted) AS posted, SUM(credits_pending - debits_pending) AS pending
FROM ledger_accounts GROUP BY programme_id"""
_RESERVATIONS = """SELECT r.id, r.status, r.amount, r.posted_amount, r.reversed_amount, r.wallet_account_id,
    p.amount AS pending_amount, p.phase AS pending_phase, p.debit_account_id AS pending_wallet,
    c.phase AS closing_phase, c.amount AS closing_amount, c.pending_id AS closing_pending_id,
    COALESCE(k.closings, 0) AS closings, COALESCE(v.reversed, 0) AS reversed
FROM ledger_reservations r
LEFT JOIN ledger_transfers p ON p.id = r.id
LEFT JOIN ledger_transfers c ON c.id = r.closing_transfer_id
LEFT JOIN (SELECT pending_id, COUNT(*) AS closings FROM ledger_transfers WHERE pending_id IS NOT NULL GROUP BY pending_id) k
    ON k.pending_id = r.id
LEFT JOIN (SELECT reverses_id, SUM(amount) AS reversed FROM ledger_transfers WHERE reverses_id IS NOT NULL GROUP BY reverses_id) v
    ON v.reverses_id = r.closing_transfer_id"""
_ORPHAN_HOLDS = """SELECT id FROM ledger_transfers WHERE phase = 'pending' AND id NOT IN (SELECT id FROM ledger_reservations)"""
_COUNT_TRANSFERS = "SELECT COUNT(*) AS n FROM ledger_transfers"


@dataclass(frozen=True)
class BalanceDifference:
    account_id: uuid.UUID
    programme_id: uuid.UUID
    kind: str
    shard: int
    recipient_id: uuid.UUID | None
    balance: str  # one of BALANCES
    stored: int
    recomputed: int


@dataclass(frozen=True)
class ProgrammeImbalance:
    programme_id: uuid.UUID
    posted: int  # Σ (credits_posted − debits_posted) over the programme's accounts; 0 when balanced
    pending: int


@dataclass(frozen=True)
class VerifyReport:
    accounts: int
    transfers: int
    reservations: int
    differences: list[BalanceDifference] = field(default_factory=list)
    imbalances: list[ProgrammeImbalance] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # overdrawn wallets, reservations at odds with their transfers

    @property
    def ok(self) -> bool:
        return not (self.differences or self.imbalances or self.problems)

    def lines(self) -> list[str]:
        """The report in words, for the command line."""
        lines = [f"checked {self.accounts:,} accounts, {self.transfers:,} transfers, {self.reservations:,} reservations"]
        lines += [
            f"account {d.account_id} ({d.kind} #{d.shard}, programme {d.programme_id}): {d.balance} stored {d.stored:,}, "
            f"recomputed {d.recomputed:,}"
            for d in self.differences
        ]
        lines += [
            f"programme {i.programme_id} does not sum to zero: posted {i.posted:+,}, pending {i.pending:+,}"
            for i in self.imbalances
        ]
        lines += self.problems
        lines.append(
            "ledger verified: no differences"
            if self.ok
            else f"ledger NOT verified: {len(self.differences) + len(self.imbalances) + len(self.problems)} differences"
        )
        return lines


async def verify() -> VerifyReport:
    engine = current_engine()
    owns_transaction = engine.current_transaction.get() is None
    async with engine.transaction():  # on SQLite (WAL), a read transaction is a snapshot
        if owns_transaction and not isinstance(engine, SQLiteEngine):
            await sql.fetch("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        accounts = await sql.fetch(_ACCOUNTS)
        recomputed = {row["account_id"]: row for row in await sql.fetch(_CLOSED + _RECOMPUTED)}
        sums = await sql.fetch(_PROGRAMME_SUMS)
        reservations = await sql.fetch(_RESERVATIONS)
        orphans = await sql.fetch(_ORPHAN_HOLDS)
        transfers = (await sql.fetchrow(_COUNT_TRANSFERS))["n"]

    differences, problems = [], []
    for account in accounts:
        truth = recomputed.pop(account["id"], None)
        for balance in BALANCES:
            expected = int(truth[balance]) if truth else 0
            if account[balance] != expected:
                differences.append(
                    BalanceDifference(
                        account["id"],
                        account["programme_id"],
                        account["kind"],
                        account["shard"],
                        account["recipient_id"],
                        balance,
                        account[balance],
                        expected,
                    )
                )
        if account["kind"] == "wallet":
            available = account["credits_posted"] - account["debits_posted"] - account["debits_pending"]
            if available < 0:
                problems.append(f"wallet {account['id']} is overdrawn: {available:,} available")
    problems += [f"transfers name account {account_id}, which does not exist" for account_id in recomputed]
    imbalances = [
        ProgrammeImbalance(row["programme_id"], int(row["posted"]), int(row["pending"]))
        for row in sums
        if row["posted"] or row["pending"]
    ]
    problems += [f"pending transfer {row['id']} has no reservation" for row in orphans]
    for reservation in reservations:
        problems += _reservation_problems(reservation)
    return VerifyReport(
        accounts=len(accounts),
        transfers=transfers,
        reservations=len(reservations),
        differences=differences,
        imbalances=imbalances,
        problems=problems,
    )


def _reservation_problems(r) -> list[str]:
    name = f"reservation {r['id']} ({r['status']})"
    found = []
    if r["pending_phase"] != "pending" or r["pending_amount"] != r["amount"] or r["pending_wallet"] != r["wallet_account_id"]:
        found.append(f"{name}: its pending transfer is missing or differs")
    phase, count = {"pending": (None, 0), "posted": ("post", 1), "voided": ("void", 1), "expired": ("void", 1)}[r["status"]]
    if (r["closing_phase"], r["closings"]) != (phase, count):
        found.append(f"{name}: closed by {r['closings']} transfer(s), expected {count} {phase or ''}".rstrip())
        return found  # the amounts below compare with a closing transfer that is not the right one
    if phase is not None and r["closing_pending_id"] != r["id"]:
        found.append(f"{name}: its closing transfer belongs to another reservation")
    if phase == "post" and r["closing_amount"] != r["posted_amount"]:
        found.append(f"{name}: posted {r['posted_amount']:,} but its post transfer moved {r['closing_amount']:,}")
    if phase == "void" and r["closing_amount"] != r["amount"]:
        found.append(f"{name}: held {r['amount']:,} but its void transfer released {r['closing_amount']:,}")
    if int(r["reversed"]) != r["reversed_amount"]:
        found.append(f"{name}: {r['reversed_amount']:,} reversed on record, reversal transfers total {int(r['reversed']):,}")
    return found
