"""The metrics the dashboards, thresholds and monthly reviews read: all from the roll-ups
(``insight_daily``/``insight_monthly``, or ``insight_partner_daily``/``insight_partner_monthly``
when no segment is asked for), one programme over an inclusive range of days, optionally narrowed
to a segment. A period's whole months are read from the monthly roll-up and only its edge days
(before the first whole month, after the last) from the daily one, in one statement: a year is 12
rows a cell, not 365. Per week, and for the last day with a redemption, the daily roll-up alone
(weeks cross months, so the monthly roll-up cannot serve them; a weekly roll-up would cost every
recording transaction two more upserts for a read that stays within its budget).
Every query leads with (programme_id, month or day), the roll-ups' key (or (programme_id,
partner_id, …) for one partner), and returns a few hundred rows at most.

Rates are None when their denominator is 0: activation_rate = activations / views,
redemption_rate = redemptions / activations, spend_share = spend / the whole's spend."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from backend.catalog.services import offer_rows
from backend.core import sql
from backend.core.authz import SYSTEM
from backend.core.errors import DomainError
from backend.insights.segments import SEGMENT_FIELDS, Segment
from backend.partners.services import profiles as partners
from backend.recipients import services as recipients

__all__ = [
    "BREAKDOWNS",
    "BreakdownRow",
    "OfferFigures",
    "PartnerFigures",
    "Segment",
    "TrendPoint",
    "breakdown",
    "offer_figures",
    "partner_figures",
    "trend",
]

Granularity = Literal["week", "month"]
BREAKDOWNS = ("partner", "offer", "category", *SEGMENT_FIELDS)
PERIOD_INVALID, BREAKDOWN_INVALID = "PERIOD_INVALID", "BREAKDOWN_INVALID"
MAX_DAYS = 3 * 366  # a dashboard's period; more is a report for the worker


@dataclass(frozen=True)
class PartnerFigures:
    partner_id: uuid.UUID
    partner_name: str
    views: int
    activations: int
    redemptions: int
    spend_minor: int  # in ``currency``, the programme's
    currency: str
    activation_rate: float | None
    redemption_rate: float | None
    spend_share: float | None  # of the programme's spend over the period (and segment)
    last_redemption_on: date | None  # the last day with a redemption, up to the period's end


@dataclass(frozen=True)
class OfferFigures:
    offer_id: uuid.UUID
    offer_title: str
    category: str
    partner_id: uuid.UUID
    views: int
    activations: int
    redemptions: int
    spend_minor: int
    currency: str
    activation_rate: float | None
    redemption_rate: float | None
    spend_share: float | None  # of the partner's spend over the period
    last_redemption_on: date | None


@dataclass(frozen=True)
class TrendPoint:
    period_start: date  # a Monday (week) or the 1st (month)
    views: int
    activations: int
    redemptions: int
    spend_minor: int
    currency: str
    activation_rate: float | None
    redemption_rate: float | None


@dataclass(frozen=True)
class BreakdownRow:
    key: str  # the partner's or offer's id, the category, or the segment value ('' = unknown)
    label: str  # what to show: a name, a title, or the key
    views: int
    activations: int
    redemptions: int
    spend_minor: int
    currency: str
    activation_rate: float | None
    redemption_rate: float | None
    spend_share: float | None


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _check_filters(start: date, end: date, segment: Segment | None) -> None:
    """The period and the segment's texts, before anything is looked up."""
    if end < start:
        raise DomainError.single(PERIOD_INVALID, "the period ends before it starts", "to")
    if (end - start).days >= MAX_DAYS:
        raise DomainError.single(PERIOD_INVALID, f"a period is at most {MAX_DAYS} days", "to")
    if segment is not None:
        segment.check()


def _where(programme_id: uuid.UUID, start: date, end: date | None, segment: Segment | None, partner_id=None) -> sql.Conditions:
    conditions = sql.Conditions()
    conditions.add("programme_id = ?", programme_id)
    conditions.when("partner_id = ?", partner_id)
    if start is not None:
        conditions.add("day >= ?", start)
    conditions.add("day <= ?", end)
    if segment is not None:
        segment.narrow(conditions)
    return conditions


def whole_months(start: date, end: date) -> tuple[date, date]:
    """The whole months inside ``start``..``end`` as the first days [first, after); none: both are
    the day after ``end`` (the days before them are then the whole period)."""
    after_end = end + timedelta(days=1)
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = after_end if after_end.day == 1 else end.replace(day=1)
    return (first, after) if first < after else (after_end, after_end)


@dataclass(frozen=True)
class _Filter:
    """The WHERE of each part of a statement (``{where}``, or ``{months}``, ``{head}`` and
    ``{tail}``), fixed clauses only, and the values they bind, one list for all."""

    wheres: dict[str, str]
    args: list


def _split(programme_id: uuid.UUID, start: date, end: date, segment: Segment | None, partner_id=None) -> _Filter:
    """A period as its whole months (the monthly roll-up) and the days before and after them (the
    daily one)."""
    first, after = whole_months(start, end)
    args: list = []
    wheres = {}
    for part, ranges in (
        ("months", (("month >= ?", first), ("month < ?", after))),
        ("head", (("day >= ?", start), ("day < ?", first))),
        ("tail", (("day >= ?", after), ("day <= ?", end))),
    ):
        conditions = sql.Conditions()
        conditions.args = args
        conditions.add("programme_id = ?", programme_id)
        conditions.when("partner_id = ?", partner_id)
        for clause, value in ranges:
            conditions.add(clause, value)
        if segment is not None:
            segment.narrow(conditions)
        wheres[part] = conditions.where()
    return _Filter(wheres, args)


def _days(programme_id: uuid.UUID, start: date, end: date, segment: Segment | None, partner_id=None) -> _Filter:
    """A period read day by day (per week) from the daily roll-up."""
    where = _where(programme_id, start, end, segment, partner_id)
    return _Filter({"where": where.where()}, where.args)


_SUMS = "SUM(views) AS views, SUM(activations) AS activations, SUM(redemptions) AS redemptions, SUM(spend_minor) AS spend"
_COUNTS = "views, activations, redemptions, spend_minor"

CELLS, PARTNER_DAYS = "insight_daily", "insight_partner_daily"
_MONTHS_OF = {CELLS: "insight_monthly", PARTNER_DAYS: "insight_partner_monthly"}


def _months_and_days(column: str, table: str) -> str:
    """The rows of a split period, as ``key`` and the counts: the whole months, then the edge days.
    Grouped by "month", a month's row is keyed by its first day and an edge day's by itself."""
    month_key = "month" if column == "month" else column
    day_key = "day" if column == "month" else column
    days = f"SELECT {day_key} AS key, {_COUNTS} FROM {table}"
    return (
        f"SELECT {month_key} AS key, {_COUNTS} FROM {_MONTHS_OF[table]}{{months}} "
        f"UNION ALL {days}{{head}} UNION ALL {days}{{tail}}"
    )


# Every grouping the metrics read, one whole statement each (DESIGN.md rule 8: no table or column
# is chosen by formatting at run time). Keys are this closed set of (column, roll-up) pairs, every
# text is built here once from constants; the only parts added per call are the WHEREs rendered by
# sql.Conditions (fixed clauses, every value bound), at ``{months}``, ``{head}`` and ``{tail}``
# (or ``{where}`` for the days of a weekly trend).
_SPLIT_GROUPINGS = (
    ("partner_id", PARTNER_DAYS),
    ("partner_id", CELLS),
    ("month", PARTNER_DAYS),
    ("month", CELLS),
    ("offer_id", CELLS),
    *((field, CELLS) for field in SEGMENT_FIELDS),
)
_GROUPED = {
    **{
        (column, table): f"SELECT key, {_SUMS} FROM ({_months_and_days(column, table)}) AS t GROUP BY key"
        for column, table in _SPLIT_GROUPINGS
    },
    **{
        (column, table): f"SELECT day AS key, {_SUMS} FROM {table}{{where}} GROUP BY day"
        for column, table in (("day", PARTNER_DAYS), ("day", CELLS))
    },
}
# The partners' sums with, per partner, the last day with a redemption up to the period's end: a
# subquery per group down the daily (programme_id, partner_id, day) index, newest first, which
# stops at the first redemption instead of reading the whole history. ``{last}`` is its WHERE.
_WITH_LAST_REDEMPTION = {
    table: f"SELECT key, {_SUMS}, (SELECT MAX(r.day) FROM {table} AS r{{last}}) AS last_day "
    f"FROM ({_months_and_days('partner_id', table)}) AS t GROUP BY key"
    for table in (PARTNER_DAYS, CELLS)
}
_OFFERS_LAST_REDEMPTION = "SELECT offer_id, MAX(day) AS last_day FROM insight_daily{where} GROUP BY offer_id"
_BREAKDOWN_COLUMNS = {"partner": "partner_id", "offer": "offer_id", "category": "offer_id"}


def _table(segment: Segment | None) -> str:
    """Without a segment filter the per-partner roll-up holds the same sums in fewer rows."""
    return CELLS if segment is not None and any(segment.values()) else PARTNER_DAYS


async def _grouped(column: str, period: _Filter, table: str = CELLS) -> dict:
    """{column value: (views, activations, redemptions, spend)} for one of the ``_GROUPED`` pairs."""
    statement = _GROUPED[column, table].format(**period.wheres)
    rows = await sql.fetch(statement, *period.args)
    return {row["key"]: tuple(int(row[name] or 0) for name in ("views", "activations", "redemptions", "spend")) for row in rows}


async def _partners_with_last_redemption(programme_id, start: date, end: date, segment: Segment | None) -> dict:
    """{partner id: (views, activations, redemptions, spend, last day with a redemption up to
    ``end``)} for the partners with figures in the period."""
    period = _split(programme_id, start, end, segment)
    # The subquery's values are bound on the same list as the parts': one list of parameters.
    last = sql.Conditions()
    last.args = period.args
    last.add("r.programme_id = ?", programme_id)
    last.add("r.day <= ?", end)
    last.add_clause("r.partner_id = t.key AND r.redemptions > 0")
    if segment is not None:
        segment.narrow(last, alias="r")
    statement = _WITH_LAST_REDEMPTION[_table(segment)].format(last=last.where(), **period.wheres)
    rows = await sql.fetch(statement, *period.args)
    return {
        _key(row["key"]): (
            *(int(row[name] or 0) for name in ("views", "activations", "redemptions", "spend")),
            _as_date(row["last_day"]),
        )
        for row in rows
    }


def _as_date(value) -> date | None:
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _key(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def _currency(programme_id: uuid.UUID) -> str:
    return (await recipients.get_programme(SYSTEM, programme_id)).currency


async def partner_figures(
    programme_id: uuid.UUID, start: date, end: date, segment: Segment | None = None
) -> list[PartnerFigures]:
    """Every partner with figures in the period, by spend, highest first."""
    _check_filters(start, end, segment)
    figures = await _partners_with_last_redemption(programme_id, start, end, segment)
    ids = sorted(figures)
    names = await partners.partners_by_ids(SYSTEM, ids) if ids else {}
    currency = await _currency(programme_id)
    total = sum(row[3] for row in figures.values())
    result = []
    for partner_id in ids:
        views, activations, redemptions, spend, last = figures[partner_id]
        name = names[partner_id].name if partner_id in names else str(partner_id)
        result.append(
            PartnerFigures(
                partner_id, name, views, activations, redemptions, spend, currency,
                ratio(activations, views), ratio(redemptions, activations), ratio(spend, total), last,
            )
        )  # fmt: skip
    return sorted(result, key=lambda row: (-row.spend_minor, row.partner_name))


async def offer_figures(
    programme_id: uuid.UUID, partner_id: uuid.UUID, start: date, end: date, segment: Segment | None = None
) -> list[OfferFigures]:
    """One partner's offers (the drill-down), by spend, highest first."""
    _check_filters(start, end, segment)
    # One partner's rows are few: a plain MAX per offer (a correlated subquery's estimate would set off JIT).
    sums = await _grouped("offer_id", _split(programme_id, start, end, segment, partner_id))
    last_where = _where(programme_id, None, end, segment, partner_id)
    last_where.add_clause("redemptions > 0")
    last_days = await sql.fetch(_OFFERS_LAST_REDEMPTION.format(where=last_where.where()), *last_where.args)
    last_of = {_key(row["offer_id"]): _as_date(row["last_day"]) for row in last_days}
    figures = {_key(offer_id): (*counts, last_of.get(_key(offer_id))) for offer_id, counts in sums.items()}
    ids = sorted(figures)
    offers = await offer_rows.load_offers(ids) if ids else {}
    currency = await _currency(programme_id)
    total = sum(row[3] for row in figures.values())
    result = []
    for offer_id in ids:
        views, activations, redemptions, spend, last = figures[offer_id]
        offer = offers.get(offer_id)
        result.append(
            OfferFigures(
                offer_id, offer.title if offer else str(offer_id), offer.category if offer else "", partner_id,
                views, activations, redemptions, spend, currency,
                ratio(activations, views), ratio(redemptions, activations), ratio(spend, total), last,
            )
        )  # fmt: skip
    return sorted(result, key=lambda figures: (-figures.spend_minor, figures.offer_title))


def period_start(day: date, granularity: Granularity) -> date:
    return day - timedelta(days=day.weekday()) if granularity == "week" else day.replace(day=1)


async def trend(
    programme_id: uuid.UUID,
    start: date,
    end: date,
    granularity: Granularity = "week",
    segment: Segment | None = None,
    partner_id: uuid.UUID | None = None,
) -> list[TrendPoint]:
    """The figures per week (from Monday) or month, oldest first; a period with none is left out."""
    _check_filters(start, end, segment)
    if granularity not in ("week", "month"):
        raise DomainError.single(PERIOD_INVALID, "granularity is 'week' or 'month'", "granularity")
    if granularity == "month":  # whole months keyed by their first day, edge days by themselves
        by_day = await _grouped("month", _split(programme_id, start, end, segment, partner_id), _table(segment))
    else:
        by_day = await _grouped("day", _days(programme_id, start, end, segment, partner_id), _table(segment))
    buckets: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for day, figures in by_day.items():
        bucket = buckets[period_start(_as_date(day), granularity)]
        for index, value in enumerate(figures):
            bucket[index] += value
    currency = await _currency(programme_id)
    return [
        TrendPoint(
            first, views, activations, redemptions, spend, currency, ratio(activations, views), ratio(redemptions, activations)
        )
        for first, (views, activations, redemptions, spend) in sorted(buckets.items())
    ]


async def breakdown(
    programme_id: uuid.UUID, start: date, end: date, by: str, segment: Segment | None = None
) -> list[BreakdownRow]:
    """The figures compared across partners, offers, categories or a segment field, by spend."""
    _check_filters(start, end, segment)
    if by not in BREAKDOWNS:
        raise DomainError.single(BREAKDOWN_INVALID, f"a breakdown is by one of {', '.join(BREAKDOWNS)}", "by")
    period = _split(programme_id, start, end, segment)
    column = _BREAKDOWN_COLUMNS.get(by, by)  # a segment field groups by its own column
    sums = await _grouped(column, period, _table(segment) if by == "partner" else CELLS)
    labels: dict[str, str] = {}
    if by in ("offer", "category"):
        offers = await offer_rows.load_offers([_key(k) for k in sums])
        if by == "category":
            merged: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
            for offer_id, figures in sums.items():
                offer = offers.get(_key(offer_id))
                for index, value in enumerate(figures):
                    merged[offer.category if offer else ""][index] += value
            sums = {key: tuple(values) for key, values in merged.items()}
        else:
            labels = {str(offer_id): offer.title for offer_id, offer in offers.items()}
    elif by == "partner":
        found = await partners.partners_by_ids(SYSTEM, [_key(k) for k in sums])
        labels = {str(partner_id): partner.name for partner_id, partner in found.items()}
    currency = await _currency(programme_id)
    total = sum(figures[3] for figures in sums.values())
    rows = [
        BreakdownRow(
            str(key), labels.get(str(key), str(key)), views, activations, redemptions, spend, currency,
            ratio(activations, views), ratio(redemptions, activations), ratio(spend, total),
        )
        for key, (views, activations, redemptions, spend) in sums.items()
    ]  # fmt: skip
    return sorted(rows, key=lambda row: (-row.spend_minor, row.label))


def totals(rows: Sequence[PartnerFigures]) -> tuple[int, int, int, int]:
    """Views, activations, redemptions and spend over the rows (a programme's funnel)."""
    return tuple(sum(getattr(row, name) for row in rows) for name in ("views", "activations", "redemptions", "spend_minor"))
