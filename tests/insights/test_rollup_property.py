"""Roll-up correctness, as a property: whatever the order of the events, however late they arrive
and however often one is replayed, the roll-up's totals equal the raw events (counted once each),
per partner, offer, day and segment, and per month in the monthly roll-ups; and a rebuild of the
period gives exactly the same cells, days and months."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core import sql
from backend.insights import events, metrics, rollup
from backend.insights.events import PerformanceEvent

START = datetime(2026, 3, 1, tzinfo=UTC)

facts = st.tuples(
    st.sampled_from(events.KINDS),
    st.integers(0, 40 * 24 - 1),  # hour within 40 days: several days and a month boundary
    st.integers(0, 1),  # partner
    st.integers(0, 1),  # offer
    st.integers(0, 2),  # person (segment)
    st.integers(1, 500_00),  # value of a spend
)


def _plain(value) -> str:
    """A value as text, a whole number always in digits: PostgreSQL's SUM of a bigint is a numeric,
    which asyncpg may hand back as Decimal('5E+4') for 50000."""
    return str(int(value)) if isinstance(value, Decimal) else str(value)


# The roll-up tables' rows, and the partner days as the cells add them up.
CELLS = (
    "SELECT programme_id, day, partner_id, offer_id, country, business_unit, department, grade, location, views, "
    "activations, redemptions, spend_minor FROM insight_daily"
)
PARTNER_DAYS = "SELECT programme_id, day, partner_id, views, activations, redemptions, spend_minor FROM insight_partner_daily"
PARTNER_DAYS_FROM_CELLS = (
    "SELECT programme_id, day, partner_id, SUM(views), SUM(activations), SUM(redemptions), SUM(spend_minor) "
    "FROM insight_daily GROUP BY programme_id, day, partner_id"
)
MONTHS = (
    "SELECT programme_id, month, partner_id, offer_id, country, business_unit, department, grade, location, views, "
    "activations, redemptions, spend_minor FROM insight_monthly"
)
PARTNER_MONTHS = (
    "SELECT programme_id, month, partner_id, views, activations, redemptions, spend_minor FROM insight_partner_monthly"
)


async def _rows(query: str) -> set[tuple]:
    """The rows ``query`` selects, every value as text: sets that compare the same on both databases."""
    return {tuple(_plain(value) for value in row.values()) for row in await sql.fetch(query)}


def _per_month(rows: set[tuple], day_column: int = 1) -> set[tuple]:
    """Day rows (as text) added up per month: the day becomes its month's first day."""
    totals: dict[tuple, list[int]] = {}
    for row in rows:
        key = (*row[:day_column], row[day_column][:8] + "01", *row[day_column + 1 : -4])
        counts = totals.setdefault(key, [0, 0, 0, 0])
        for index, value in enumerate(row[-4:]):
            counts[index] += int(value)
    return {(*key, *map(str, counts)) for key, counts in totals.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    sample=st.lists(facts, min_size=1, max_size=40, unique_by=lambda f: (f[0], f[1], f[2], f[3], f[4])),
    order=st.randoms(use_true_random=False),
    replays=st.lists(st.integers(0, 39), max_size=8),
    batch=st.integers(1, 7),
)
async def test_rollup_totals_equal_the_raw_events_whatever_the_order_lateness_and_replays(shop, sample, order, replays, batch):
    for table in (
        "insight_daily",
        "insight_partner_daily",
        "insight_monthly",
        "insight_partner_monthly",
        "insight_events",
        "insight_event_keys",
    ):
        await sql.fetch(f"DELETE FROM {table}")
    programme = shop.programme_id
    recorded = []
    for index, (kind, hour, partner, offer, person, value) in enumerate(sample):
        partner_id = shop.partners[partner].id
        recorded.append(
            PerformanceEvent(
                kind=kind, occurred_at=START + timedelta(hours=hour), programme_id=programme, source="test",
                source_ref=f"ref-{index}", offer_id=shop.offers[partner_id][offer].id, recipient_id=shop.people[person],
                value_minor=value if kind == "spend" else None, currency="INR" if kind == "spend" else None,
            )
        )  # fmt: skip
    arrivals = recorded + [recorded[i] for i in replays if i < len(recorded)]  # replays: the same facts again
    order.shuffle(arrivals)  # late events: a day's facts arrive after later days'
    for start in range(0, len(arrivals), batch):
        await events.record_events(arrivals[start : start + batch])

    expected = Counter()
    for fact in recorded:
        key = (fact.offer_id, fact.occurred_at.date())
        if fact.kind == "reversed":  # a redemption taken back: one fewer on its own day
            expected[(key, "redeemed")] -= 1
        else:
            expected[(key, fact.kind)] += fact.value_minor if fact.kind == "spend" else 1
    rows = await sql.fetch("SELECT offer_id, day, views, activations, redemptions, spend_minor FROM insight_daily")
    actual = Counter()
    for row in rows:
        key = (row["offer_id"], metrics._as_date(row["day"]))
        for kind, column in (
            ("viewed", "views"),
            ("activated", "activations"),
            ("redeemed", "redemptions"),
            ("spend", "spend_minor"),
        ):
            if row[column]:
                actual[(key, kind)] += row[column]
    assert actual == expected
    assert (await sql.fetchrow("SELECT COUNT(*) AS n FROM insight_events"))["n"] == len(recorded)

    end = (START + timedelta(days=40)).date()
    figures = await metrics.partner_figures(programme, START.date(), end)
    assert sum(row.views for row in figures) == sum(1 for fact in recorded if fact.kind == "viewed")
    assert sum(row.spend_minor for row in figures) == sum(fact.value_minor for fact in recorded if fact.kind == "spend")

    incremental = await _rows(CELLS)
    partner_days = await _rows(PARTNER_DAYS)
    assert partner_days == await _rows(PARTNER_DAYS_FROM_CELLS)  # the per-partner roll-up adds up the cells
    months, partner_months = await _rows(MONTHS), await _rows(PARTNER_MONTHS)
    assert months == _per_month(incremental)  # each month's cell adds up its days' (events landed in both)
    assert partner_months == _per_month(partner_days)
    await rollup.rebuild(START.date(), end)
    assert await _rows(CELLS) == incremental
    assert await _rows(PARTNER_DAYS) == partner_days
    assert (await _rows(MONTHS), await _rows(PARTNER_MONTHS)) == (months, partner_months)
