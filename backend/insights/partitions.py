"""Monthly partitions of ``insight_events`` on PostgreSQL (SQLite has one plain table).

The migration made the partitioned table and a DEFAULT partition, which catches any month not
created yet, so recording never fails for want of a partition. :func:`ensure_partitions` (the
worker's daily cron, ahead of time; the rebuild and the bench for their periods) adds the months
that are missing; rows already waiting in the default partition for such a month are moved into
it in the same transaction, since PostgreSQL refuses to attach a range the default still holds.

DDL takes no bound parameters, and a table's name cannot be one: each statement below is a fixed
text in which only the partition's name goes, through :func:`quoted_partition` (checked against the
naming pattern, double-quoted), and the range's bounds, through :func:`_bound` (a UTC midnight,
digits only). The moves' bounds are bound parameters."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from backend.core import sql
from backend.core.db import write_transaction

PARENT, DEFAULT = "insight_events", "insight_events_default"
_PARTITION_NAME = re.compile(r"insight_events_y[0-9]{4}m(0[1-9]|1[0-2])")
_LOCK_KEY = 7_318_001  # pg_advisory_xact_lock: one creator at a time across workers

# ``{partition}`` is a month's partition, quoted; ``{lower}`` and ``{upper}`` its range (DDL: no parameters).
_CREATE = 'CREATE TABLE {partition} (LIKE "insight_events" INCLUDING DEFAULTS)'
_MOVE_IN = 'INSERT INTO {partition} SELECT * FROM "insight_events_default" WHERE occurred_at >= $1 AND occurred_at < $2'
_MOVE_OUT = 'DELETE FROM "insight_events_default" WHERE occurred_at >= $1 AND occurred_at < $2'
_ATTACH = 'ALTER TABLE "insight_events" ATTACH PARTITION {partition} FOR VALUES FROM ({lower}) TO ({upper})'
_PARTITIONS = (
    "SELECT child.relname AS name FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
    "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent WHERE parent.relname = $1"
)


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def quoted_partition(name: str) -> str:
    """A month's partition of insight_events as a quoted identifier, for the statements that name
    it; anything else (a name this module did not make) is refused."""
    if not _PARTITION_NAME.fullmatch(name):
        raise ValueError(f"not a monthly partition of {PARENT}: {name!r}")
    return f'"{name}"'


def _bound(moment: datetime) -> str:
    """A partition's bound as a timestamptz literal: only a UTC midnight, written from its digits."""
    if not isinstance(moment, datetime) or moment.utcoffset() != UTC.utcoffset(None) or moment.time() != datetime.min.time():
        raise ValueError(f"a partition bound is a UTC midnight, not {moment!r}")
    return f"'{moment:%Y-%m-%d} 00:00:00+00'"


def months(first: date, last: date) -> list[date]:
    result, month = [], month_of(first)
    while month <= month_of(last):
        result.append(month)
        month = next_month(month)
    return result


async def existing_partitions() -> set[str]:
    if sql.is_sqlite():
        return set()
    return {row["name"] for row in await sql.fetch(_PARTITIONS, PARENT)}


async def ensure_partitions(first: date, last: date) -> list[str]:
    """Create the monthly partitions from ``first``'s month to ``last``'s that do not exist yet;
    returns the names created (none on SQLite)."""
    if sql.is_sqlite():
        return []
    created = []
    missing = [month for month in months(first, last) if partition_name(month) not in await existing_partitions()]
    for month in missing:
        if await _create(month):
            created.append(partition_name(month))
    return created


async def _create(month: date) -> bool:
    name = partition_name(month)
    lower = datetime.combine(month, datetime.min.time(), tzinfo=UTC)
    upper = datetime.combine(next_month(month), datetime.min.time(), tzinfo=UTC)
    async with write_transaction():
        await sql.fetch("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        if name in await existing_partitions():  # another worker made it while we waited
            return False
        partition = quoted_partition(name)
        await sql.fetch(_CREATE.format(partition=partition))
        await sql.fetch(_MOVE_IN.format(partition=partition), lower, upper)
        await sql.fetch(_MOVE_OUT, lower, upper)
        await sql.fetch(_ATTACH.format(partition=partition, lower=_bound(lower), upper=_bound(upper)))
    return True


async def ensure_ahead(today: date, months_ahead: int = 3) -> list[str]:
    """This month and the next ``months_ahead``: what the worker's cron keeps ready."""
    last = today
    for _ in range(months_ahead):
        last = next_month(month_of(last))
    return await ensure_partitions(today, last)
