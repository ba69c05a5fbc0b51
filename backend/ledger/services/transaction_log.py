"""Reading the ledger: a wallet's transaction log, its reservations, one transfer, the chain of
a redemption (reserve → confirm or release → reversals), transfers by reference.

Lists are keyset-paged, newest first: ids are UUIDv7 (time-ordered), so ``id < after`` is the
next page whatever its depth, on the ``(wallet_account_id, id)`` index.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc
from backend.ledger import rules
from backend.ledger.errors import LedgerErrorCode, refused
from backend.ledger.kinds import ReservationStatus, Source, TransactionStatus, TransferKind
from backend.ledger.views import (
    HistoryEntry,
    HistoryPage,
    ReservationPage,
    ReservationView,
    TransferView,
    reservation_view,
    transfer_view,
)

_TRANSFER_COLUMNS = """t.id, t.programme_id, t.wallet_account_id, t.debit_account_id, t.credit_account_id, t.amount, t.kind, t.source,
    t.phase, t.pending_id, t.reverses_id, t.reference, t.reason, t.actor_kind, t.actor_id, t.actor_label, t.created_at"""
# A line's status: a reservation's transfers carry the reservation's status; the rest are posted.
_STATUS = "COALESCE(r.status, 'posted')"
_LINES = "FROM ledger_transfers t LEFT JOIN ledger_reservations r ON r.id = COALESCE(t.pending_id, t.id)"
_HISTORY = f"SELECT {_TRANSFER_COLUMNS}, {_STATUS} AS transaction_status {_LINES}"
_HISTORY_COUNT = f"SELECT COUNT(*) AS n {_LINES}"
_RESERVATIONS = """SELECT r.id, r.wallet_account_id, r.settlement_account_id, r.amount, r.status, r.timeout_at, r.posted_amount,
    r.reversed_amount, r.closing_transfer_id, r.closed_at, r.created_at, r.offer_id, t.programme_id, t.source, t.reference
FROM ledger_transfers t JOIN ledger_reservations r ON r.id = t.id"""


@dataclass(frozen=True)
class HistoryFilter:
    source: Source | str | None = None
    kind: TransferKind | str | None = None
    status: TransactionStatus | str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def _parsed(history_filter: HistoryFilter) -> list[tuple[str, object]]:
    """(SQL condition with a ``{}`` for its placeholder, value) for each filter that is set."""
    conditions: list[tuple[str, object]] = []
    try:
        if history_filter.source:
            conditions.append(("t.source = {}", Source(history_filter.source).value))
        if history_filter.kind:
            conditions.append(("t.kind = {}", TransferKind(history_filter.kind).value))
        if history_filter.status:
            conditions.append((f"{_STATUS} = {{}}", TransactionStatus(history_filter.status).value))
    except ValueError as error:
        raise refused(LedgerErrorCode.FILTER_INVALID, str(error), "filter") from None
    if history_filter.since:
        conditions.append(("t.created_at >= {}", as_utc(history_filter.since)))
    if history_filter.until:
        conditions.append(("t.created_at < {}", as_utc(history_filter.until)))
    return conditions


def _filtered(select: str, wallet_id: uuid.UUID, history_filter: HistoryFilter, after: uuid.UUID | None) -> tuple[str, list]:
    conditions = _parsed(history_filter)
    if after is not None:
        conditions.append(("t.id < {}", after))
    statement, args = f"{select} WHERE t.wallet_account_id = $1", [wallet_id]
    for condition, value in conditions:
        args.append(value)
        statement += " AND " + condition.format(f"${len(args)}")
    return statement, args


async def history(
    actor: Actor,
    wallet_id: uuid.UUID,
    history_filter: HistoryFilter = HistoryFilter(),
    *,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> HistoryPage:
    """A wallet's transfers, newest first, filtered by source, kind, status and date range.
    Pass ``next_cursor`` as ``after`` for the next page."""
    actor.require(Permission.POINTS_READ)
    statement, args = _filtered(_HISTORY, wallet_id, history_filter, after)
    size = rules.page_size(limit)
    args.append(size + 1)
    rows = await sql.fetch(f"{statement} ORDER BY t.id DESC LIMIT ${len(args)}", *args)
    entries = [
        HistoryEntry(transfer=transfer_view(row), status=TransactionStatus(row["transaction_status"])) for row in rows[:size]
    ]
    return HistoryPage(entries=entries, next_cursor=entries[-1].transfer.id if len(rows) > size else None)


async def count_history(actor: Actor, wallet_id: uuid.UUID, history_filter: HistoryFilter = HistoryFilter()) -> int:
    """How many lines :func:`history` has for this filter, over all pages."""
    actor.require(Permission.POINTS_READ)
    statement, args = _filtered(_HISTORY_COUNT, wallet_id, history_filter, None)
    return (await sql.fetchrow(statement, *args))["n"]


async def list_reservations(
    actor: Actor,
    wallet_id: uuid.UUID,
    *,
    status: ReservationStatus | str | None = None,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> ReservationPage:
    """A wallet's reservations (its holds when ``status="pending"``), newest first."""
    actor.require(Permission.POINTS_READ)
    statement, args = f"{_RESERVATIONS} WHERE t.wallet_account_id = $1 AND t.phase = 'pending'", [wallet_id]
    if status is not None:
        try:
            args.append(ReservationStatus(status).value)
        except ValueError as error:
            raise refused(LedgerErrorCode.FILTER_INVALID, str(error), "status") from None
        statement += f" AND r.status = ${len(args)}"
    if after is not None:
        args.append(after)
        statement += f" AND t.id < ${len(args)}"
    size = rules.page_size(limit)
    args.append(size + 1)
    rows = await sql.fetch(f"{statement} ORDER BY t.id DESC LIMIT ${len(args)}", *args)
    found = [reservation_view(row) for row in rows[:size]]
    return ReservationPage(reservations=found, next_cursor=found[-1].id if len(rows) > size else None)


async def get_reservation(actor: Actor, reservation_id: uuid.UUID) -> ReservationView:
    actor.require(Permission.POINTS_READ)
    row = await sql.fetchrow(f"{_RESERVATIONS} WHERE r.id = $1", reservation_id)
    if row is None:
        raise refused(LedgerErrorCode.RESERVATION_NOT_FOUND, f"reservation {reservation_id} does not exist", "reservation_id")
    return reservation_view(row)


async def get_transfer(actor: Actor, transfer_id: uuid.UUID) -> TransferView:
    actor.require(Permission.POINTS_READ)
    return await _transfer(transfer_id)


async def _transfer(transfer_id: uuid.UUID) -> TransferView:
    row = await sql.fetchrow(f"SELECT {_TRANSFER_COLUMNS} FROM ledger_transfers t WHERE t.id = $1", transfer_id)
    if row is None:
        raise refused(LedgerErrorCode.TRANSFER_NOT_FOUND, f"transfer {transfer_id} does not exist", "transfer_id")
    return transfer_view(row)


async def transfer_chain(actor: Actor, transfer_id: uuid.UUID) -> list[TransferView]:
    """Every transfer linked to ``transfer_id``, oldest first: for a redemption, its pending
    transfer, the post or void that closed it, and the reversals of the post. Any member of the
    chain finds the whole chain; a transfer with no links is a chain of one."""
    actor.require(Permission.POINTS_READ)
    transfer = await _transfer(transfer_id)
    if transfer.reverses_id is not None:
        transfer = await _transfer(transfer.reverses_id)
    root = transfer.pending_id or transfer.id
    rows = await sql.fetch(
        f"""SELECT {_TRANSFER_COLUMNS} FROM ledger_transfers t
        WHERE t.id = $1 OR t.id = (SELECT closing_transfer_id FROM ledger_reservations WHERE id = $1)
           OR t.reverses_id = $1 OR t.reverses_id = (SELECT closing_transfer_id FROM ledger_reservations WHERE id = $1)
        ORDER BY t.id""",
        root,
    )
    return [transfer_view(row) for row in rows]


async def transfers_by_reference(actor: Actor, reference: str, limit: int = 100) -> list[TransferView]:
    """The transfers carrying a caller's reference (an order id, say), oldest first."""
    actor.require(Permission.POINTS_READ)
    rules.reference(reference)
    rows = await sql.fetch(
        f"SELECT {_TRANSFER_COLUMNS} FROM ledger_transfers t WHERE t.reference = $1 ORDER BY t.id LIMIT $2",
        reference.strip(),
        rules.page_size(limit),
    )
    return [transfer_view(row) for row in rows]
