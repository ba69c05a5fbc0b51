"""The daily roll-up (``insight_daily``): one cell per day × programme × partner × offer × segment,
with views, activations, redemptions and spend (programme currency). The worker adds each new
event's counts to its cell as it records it (an upsert adding deltas), so a late event lands in its
own day; :func:`rebuild` recomputes any period from the events and gives the same figures.

A reversed redemption (a refund) is an event of its own, on its own day like any other: one
redemption fewer and a negative spend there; a closed month keeps the figures it was reviewed on.

Only events with a partner and an offer are rolled up: the figures are per partner (a points
reward seen on its claim page has neither and stays in the events alone).

``insight_partner_daily`` holds the same counts per day × partner (offers and segments added up),
kept by the same upserts and rebuilt from ``insight_daily``: the dashboards read it when no
segment is asked for, a fraction of the rows.

``insight_monthly`` and ``insight_partner_monthly`` are the same two per month (``month``: its
first day), kept by the same upserts in the same transaction (a late event lands in its day and
its month) and rebuilt from ``insight_daily``: a period's whole months are read there, a year in 12
rows a cell instead of 365.

Each addition, and each rebuild, also writes ``insights.rollups_changed`` (per programme with
thresholds: its partners whose cells moved, or for a rebuild may have) in the same transaction, so
their flags are judged as soon as the figures are committed, not at the next minute's sweep."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from backend.core import outbox, sql
from backend.core.db import current_engine, write_transaction
from backend.insights import bulk
from backend.insights.reviews.thresholds import programmes_with_thresholds
from backend.insights.reviews.views import ROLLUPS_CHANGED
from backend.insights.tables import InsightMonthly, InsightPartnerDaily, InsightPartnerMonthly

if TYPE_CHECKING:
    from backend.insights.events import StoredEvent

COUNTERS = ("views", "activations", "redemptions", "spend_minor")
# kind: (counter, step); a redemption reversed in full takes one off the redemptions of its offer
# and segment on the reversal's own day (its spend comes back as a spend event of negative value).
_COUNTER_OF_KIND = {"viewed": (0, 1), "activated": (1, 1), "redeemed": (2, 1), "reversed": (2, -1)}

SEGMENT_COLUMNS = "country, business_unit, department, grade, location"
CELL = f"programme_id, day, partner_id, offer_id, {SEGMENT_COLUMNS}"
PARTNER_CELL = "programme_id, day, partner_id"
MONTH_CELL = f"programme_id, month, partner_id, offer_id, {SEGMENT_COLUMNS}"
PARTNER_MONTH_CELL = "programme_id, month, partner_id"
_COUNTS = "views, activations, redemptions, spend_minor"
_ADD = (
    "DO UPDATE SET views = {table}.views + excluded.views, activations = {table}.activations + excluded.activations, "
    "redemptions = {table}.redemptions + excluded.redemptions, spend_minor = {table}.spend_minor + excluded.spend_minor"
)
# table: its cell's columns; in the order every transaction upserts them (locks taken in one
# order: never a deadlock between two workers).
_ROLLUPS = {
    "insight_daily": CELL,
    "insight_partner_daily": PARTNER_CELL,
    "insight_monthly": MONTH_CELL,
    "insight_partner_monthly": PARTNER_MONTH_CELL,
}
_UPSERTS = {  # table: (head, tail)
    table: (f"INSERT INTO {table} ({cell}, {_COUNTS})", f"ON CONFLICT ({cell}) " + _ADD.format(table=table))
    for table, cell in _ROLLUPS.items()
}


def deltas(events: Sequence[StoredEvent]) -> dict[tuple, list[int]]:
    """Each touched cell's counts, summed over the events (a statement may name a cell only once)."""
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for event in events:
        fact = event.fact
        if fact.partner_id is None or fact.offer_id is None:
            continue
        counts = cells[(fact.programme_id, event.day, fact.partner_id, fact.offer_id, *event.segment)]
        if fact.kind in _COUNTER_OF_KIND:
            counter, step = _COUNTER_OF_KIND[fact.kind]
            counts[counter] += step
        elif event.programme_value_minor is not None:  # spend
            counts[3] += event.programme_value_minor
    return cells


def _merged(cells: dict[tuple, list[int]], key) -> dict[tuple, list[int]]:
    """The cells' counts added up per ``key(cell)``."""
    merged: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cell, counts in cells.items():
        total = merged[key(cell)]
        for index, value in enumerate(counts):
            total[index] += value
    return merged


def partner_deltas(cells: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    return _merged(cells, lambda cell: cell[:3])


def month_deltas(cells: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """Day cells (or partner days) to their months: the day (second) becomes its month's first day."""
    return _merged(cells, lambda cell: (cell[0], cell[1].replace(day=1), *cell[2:]))


async def add(events: Sequence[StoredEvent]) -> list[uuid.UUID]:
    """Add the events' counts to their cells, partners' days and both months, in the caller's
    transaction; returns the ``insights.rollups_changed`` events to ring once it has committed."""
    cells = deltas(events)
    partner_cells = partner_deltas(cells)
    await _upsert("insight_daily", cells)
    await _upsert("insight_partner_daily", partner_cells)
    await _upsert("insight_monthly", month_deltas(cells))
    await _upsert("insight_partner_monthly", month_deltas(partner_cells))
    changed: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for programme_id, _, partner_id in partner_cells:
        changed[programme_id].add(partner_id)
    return await _announce(changed)


def _from_cells(table: str, source: str) -> str:
    """Upsert ``table`` from the day cells in ``source``, added up to ``table``'s cells and in their
    key order (the order :func:`_upsert` takes its locks in)."""
    cell = _ROLLUPS[table]
    picked = cell.replace("month", "CAST(date_trunc('month', day) AS DATE)")
    head, tail = _UPSERTS[table]
    return f"{head} SELECT {picked}, {_SUMS} FROM {source} GROUP BY {picked} ORDER BY {picked} {tail}"


# PostgreSQL's bulk path sums a batch's day cells into this temporary table (``staging``); the
# statements that read it are fixed texts, made once from constants.
STAGED_CELLS = "insight_cells_staged"


async def add_cells(connection) -> list[uuid.UUID]:
    """PostgreSQL's bulk path: :func:`add` for the day cells already summed in ``STAGED_CELLS`` (one
    row a cell), on ``connection`` (the transaction's): the four upserts go in one round trip (no
    values, so the simple protocol; run one after the other, in :func:`add`'s order), whatever the
    number of cells. The events to ring."""
    await connection.execute(_STAGED_UPSERTS)
    changed: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in await sql.fetch(_STAGED_PARTNERS):
        changed[row["programme_id"]].add(row["partner_id"])
    return await _announce(changed)


async def _announce(changed: dict[uuid.UUID, set[uuid.UUID]]) -> list[uuid.UUID]:
    """``insights.rollups_changed`` per programme with thresholds, naming its partners whose figures
    moved, in the caller's transaction; the events to ring once it has committed."""
    judged = await programmes_with_thresholds(sorted(changed))
    return [
        await outbox.add(
            ROLLUPS_CHANGED, {"programme_id": str(programme_id), "partner_ids": sorted(map(str, changed[programme_id]))}
        )
        for programme_id in sorted(judged)
    ]


async def ring_after_commit(event_ids: list[uuid.UUID], owns_transaction: bool) -> None:
    """Ring the roll-up's events once they are committed: now if the transaction was ours, after the
    outbox handler's commit if we ran in one; otherwise (a caller's transaction) the relay brings them."""
    if not event_ids:
        return
    if owns_transaction:
        await outbox.ring(event_ids)
        return
    try:
        outbox.after_commit(lambda: outbox.ring(event_ids))
    except RuntimeError:
        pass  # not an outbox handler: the relay enqueues them


async def _upsert(table: str, cells: dict[tuple, list[int]]) -> None:
    # In key order: two workers upserting overlapping cells lock them in the same order, never a deadlock.
    rows = [(*cell, *counts) for cell, counts in sorted(cells.items())]  # cells are unique: counts never compared
    head, tail = _UPSERTS[table]
    await bulk.insert_rows(head, rows, tail)


def day_of(column: str) -> str:
    """The UTC day of a timestamp column, in the current database's words (a constant text)."""
    return f"date({column})" if sql.is_sqlite() else f"({column} AT TIME ZONE 'UTC')::date"


def _month_of_day() -> str:
    """The first day of the month of ``day`` (a date column), in the current database's words."""
    return "date(day, 'start of month')" if sql.is_sqlite() else "CAST(date_trunc('month', day) AS DATE)"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


_SUMS = "SUM(views), SUM(activations), SUM(redemptions), SUM(spend_minor)"
# A group of events' counts (views, activations, redemptions, spend), as :func:`deltas` adds them.
EVENT_COUNTS = (
    "SUM(CASE WHEN kind = 'viewed' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'activated' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN kind = 'redeemed' THEN 1 WHEN kind = 'reversed' THEN -1 ELSE 0 END), "
    "COALESCE(SUM(CASE WHEN kind = 'spend' THEN programme_value_minor ELSE 0 END), 0)"
)


async def rebuild(start: date, end: date, programme_id=None) -> int:
    """Recompute the cells of ``start``..``end`` (inclusive) from the events, for one programme or
    all, and the partner days and months they add up to; returns the number of cells written. Same
    figures as the incremental roll-up."""
    where = sql.Conditions()
    where.add("day >= ?", start)
    where.add("day <= ?", end)
    where.when("programme_id = ?", programme_id)
    source = sql.Conditions()
    source.add("occurred_at >= ?", day_start(start))
    source.add("occurred_at < ?", day_start(end + timedelta(days=1)))
    source.add_clause("partner_id IS NOT NULL AND offer_id IS NOT NULL")
    source.when("programme_id = ?", programme_id)
    day = day_of("occurred_at")
    owns_transaction = current_engine().current_transaction.get() is None
    async with write_transaction():
        if not sql.is_sqlite():
            # Hold the worker's upserts until the rebuilt period is committed: none is lost between.
            await sql.fetch(
                "LOCK TABLE insight_daily, insight_partner_daily, insight_monthly, insight_partner_monthly "
                "IN SHARE ROW EXCLUSIVE MODE"
            )
        had_figures = await _partners_with_days(start, end, programme_id)
        await sql.fetch(where.statement("DELETE FROM insight_daily"), *where.args)
        rows = await sql.fetch(
            "INSERT INTO insight_daily (programme_id, day, partner_id, offer_id, country, business_unit, department, "
            "grade, location, views, activations, redemptions, spend_minor) "
            f"SELECT programme_id, {day}, partner_id, offer_id, country, business_unit, department, grade, location, "
            f"{EVENT_COUNTS} FROM insight_events {source.where()} "
            f"GROUP BY programme_id, {day}, partner_id, offer_id, country, business_unit, department, grade, location "
            "RETURNING day",
            *source.args,
        )
        await add_up_days(start, end, programme_id)
        # As the incremental path does: the partners whose figures may have moved (before or after)
        # are announced in the same transaction, so their flags are judged on the rebuilt figures.
        changed = await _partners_with_days(start, end, programme_id)
        for programme, partners in had_figures.items():
            changed[programme] |= partners
        announced = await _announce(changed)
    await ring_after_commit(announced, owns_transaction)
    return len(rows)


async def _partners_with_days(start: date, end: date, programme_id: uuid.UUID | None) -> dict[uuid.UUID, set[uuid.UUID]]:
    """{programme id: its partners with a partner day in ``start``..``end``}."""
    days = (InsightPartnerDaily.day >= start) & (InsightPartnerDaily.day <= end)
    if programme_id is not None:
        days &= InsightPartnerDaily.programme_id == programme_id
    rows = (
        await InsightPartnerDaily.select(InsightPartnerDaily.programme_id, InsightPartnerDaily.partner_id).where(days).distinct()
    )
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in rows:
        found[row["programme_id"]].add(row["partner_id"])  # Piccolo hands back UUIDs on both databases
    return found


async def _clear_added_up(start: date, end: date, first: date, after: date, programme_id: uuid.UUID | None) -> None:
    """The partner days of [start, end] and the whole months of [first, after), before they are added up anew."""
    partner_days = (InsightPartnerDaily.day >= start) & (InsightPartnerDaily.day <= end)
    cells = (InsightMonthly.month >= first) & (InsightMonthly.month < after)
    partners = (InsightPartnerMonthly.month >= first) & (InsightPartnerMonthly.month < after)
    if programme_id is not None:
        partner_days &= InsightPartnerDaily.programme_id == programme_id
        cells &= InsightMonthly.programme_id == programme_id
        partners &= InsightPartnerMonthly.programme_id == programme_id
    await InsightPartnerDaily.delete().where(partner_days)
    await InsightMonthly.delete().where(cells)
    await InsightPartnerMonthly.delete().where(partners)


async def add_up_days(start: date, end: date, programme_id=None) -> None:
    """Recompute, from ``insight_daily``, the partner days of ``start``..``end`` and the months
    (cells and partners) that period touches, whole (a month's other days are read as they are),
    in the caller's transaction. The rebuild's second half; a bench that loads the daily cells
    straight calls it too."""
    days = sql.Conditions()
    days.add("day >= ?", start)
    days.add("day <= ?", end)
    days.when("programme_id = ?", programme_id)
    first, after = start.replace(day=1), _next_month(end)
    months = sql.Conditions()
    months.add("month >= ?", first)
    months.add("month < ?", after)
    months.when("programme_id = ?", programme_id)
    month_days = sql.Conditions()
    month_days.add("day >= ?", first)
    month_days.add("day < ?", after)
    month_days.when("programme_id = ?", programme_id)
    month = _month_of_day()
    await _clear_added_up(start, end, first, after, programme_id)
    await sql.fetch(
        f"INSERT INTO insight_partner_daily ({PARTNER_CELL}, {_COUNTS}) "
        f"SELECT {PARTNER_CELL}, {_SUMS} FROM insight_daily{days.where()} GROUP BY {PARTNER_CELL}",
        *days.args,
    )
    cell_of_day = f"programme_id, {month}, partner_id, offer_id, {SEGMENT_COLUMNS}"
    await sql.fetch(
        f"INSERT INTO insight_monthly ({MONTH_CELL}, {_COUNTS}) "
        f"SELECT {cell_of_day}, {_SUMS} FROM insight_daily{month_days.where()} GROUP BY {cell_of_day}",
        *month_days.args,
    )
    await sql.fetch(
        f"INSERT INTO insight_partner_monthly ({PARTNER_MONTH_CELL}, {_COUNTS}) "
        f"SELECT {PARTNER_MONTH_CELL}, {_SUMS} FROM insight_monthly{months.where()} GROUP BY {PARTNER_MONTH_CELL}",
        *months.args,
    )


async def rebuild_months(start: date, end: date, programme_id=None) -> int:
    """:func:`rebuild` a month at a time (each month its own transaction, so a year's rebuild never
    holds the worker's upserts for long); the cells written."""
    cells, first = 0, start
    while first <= end:
        following = _next_month(first)
        last = min(end, following - timedelta(days=1))
        cells += await rebuild(first, last, programme_id)
        first = following
    return cells


# The fixed statements over the staged cells (after _SUMS, which they use).
_STAGED_UPSERTS = "; ".join(_from_cells(table, STAGED_CELLS) for table in _ROLLUPS)
_STAGED_PARTNERS = "SELECT DISTINCT programme_id, partner_id FROM insight_cells_staged"
