"""Recording events: the segment at that moment, the partner from the offer, spend converted at the
day's rate (a missing rate refused, never 0), and a replayed fact counted once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.core.authz import SYSTEM
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.insights import events, fx, metrics, rollup
from backend.insights.events import PerformanceEvent
from backend.insights.segments import Segment

JAN_5 = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)


def fact(shop, kind, ref, *, person=0, offer=0, partner=0, at=JAN_5, **extra):
    partner_id = shop.partners[partner].id
    return PerformanceEvent(
        kind=kind, occurred_at=at, programme_id=shop.programme_id, source="test", source_ref=ref,
        offer_id=shop.offers[partner_id][offer].id, recipient_id=shop.people[person], **extra,
    )  # fmt: skip


async def test_an_event_keeps_the_segment_and_the_partner_and_counts_once(shop):
    first = await events.record_event(fact(shop, "viewed", "v-1"))
    again = await events.record_event(fact(shop, "viewed", "v-1"))
    assert first is not None and again is None
    [figures] = await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 1, 31))
    assert (figures.partner_id, figures.partner_name, figures.views) == (shop.partners[0].id, "Chai Point", 1)
    pune = await metrics.partner_figures(
        shop.programme_id, date(2026, 1, 1), date(2026, 1, 31), Segment(location="Pune", grade="5")
    )
    assert [row.views for row in pune] == [1]
    assert await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 1, 31), Segment(country="DE")) == []


async def test_batches_in_one_transaction_and_after_a_rollback_count_each_event_once(shop):
    # PostgreSQL stages each batch in temporary tables of the connection: a second batch of the same
    # transaction, or the first after a rollback, must find nothing left from the one before.
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await events.record_events([fact(shop, "viewed", "v-1"), fact(shop, "redeemed", "r-1")])
            raise RuntimeError("the caller's transaction fails")
    async with write_transaction():
        first = await events.record_events([fact(shop, "viewed", "v-1"), fact(shop, "activated", "a-1")])
        second = await events.record_events(
            [fact(shop, "viewed", "v-1"), fact(shop, "viewed", "v-2"), fact(shop, "viewed", "v-2")]
        )
    assert [event_id is not None for event_id in first + second] == [True, True, False, True, False]
    [figures] = await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 1, 31))
    assert (figures.views, figures.activations, figures.redemptions) == (2, 1, 0)
    assert await rollup.rebuild(date(2026, 1, 1), date(2026, 1, 31)) == 1  # one cell, as added up


async def test_spend_is_converted_at_the_latest_rate_on_or_before_its_day(shop):
    await fx.set_rate(SYSTEM, date(2026, 1, 1), "EUR", "INR", "90.5")
    await fx.set_rate(SYSTEM, date(2026, 1, 10), "EUR", "INR", "100")
    await events.record_event(fact(shop, "spend", "s-1", value_minor=1000, currency="EUR"))  # Jan 5: 10 EUR at 90.5
    await events.record_event(fact(shop, "spend", "s-2", value_minor=50000, currency="INR"))
    [figures] = await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 1, 31))
    assert (figures.spend_minor, figures.currency) == (90500 + 50000, "INR")


async def test_a_missing_rate_is_refused_and_records_nothing(shop):
    with pytest.raises(DomainError) as refused:
        await events.record_event(fact(shop, "spend", "s-1", value_minor=1000, currency="USD"))
    assert refused.value.code == fx.FX_RATE_MISSING and "USD/INR" in str(refused.value)
    assert await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 1, 31)) == []


async def test_funnel_rates_shares_drill_down_trend_and_rebuild(shop):
    chai, books = shop.partners[0].id, shop.partners[1].id
    facts = [fact(shop, "viewed", f"v-{n}", person=n % 3) for n in range(4)]
    facts += [fact(shop, "activated", "a-1"), fact(shop, "activated", "a-2", offer=1)]
    facts += [fact(shop, "redeemed", "r-1"), fact(shop, "spend", "r-1", value_minor=30000)]
    facts += [fact(shop, "viewed", "v-b", partner=1, at=datetime(2026, 2, 2, tzinfo=UTC))]
    facts += [fact(shop, "spend", "s-b", partner=1, value_minor=10000, at=datetime(2026, 2, 2, tzinfo=UTC))]
    await events.record_events(facts)
    rows = await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 2, 28))
    assert [(r.partner_id, r.views, r.activations, r.redemptions, r.spend_minor) for r in rows] == [
        (chai, 4, 2, 1, 30000),
        (books, 1, 0, 0, 10000),
    ]
    assert (rows[0].activation_rate, rows[0].redemption_rate, rows[0].spend_share) == (0.5, 0.5, 0.75)
    assert rows[0].last_redemption_on == date(2026, 1, 5) and rows[1].last_redemption_on is None
    offers = await metrics.offer_figures(shop.programme_id, chai, date(2026, 1, 1), date(2026, 1, 31))
    assert [(o.offer_title, o.views, o.activations) for o in offers] == [("Chai Point 1", 4, 1), ("Chai Point 2", 0, 1)]
    months = await metrics.trend(shop.programme_id, date(2026, 1, 1), date(2026, 2, 28), "month")
    assert [(p.period_start, p.views, p.spend_minor) for p in months] == [
        (date(2026, 1, 1), 4, 30000),
        (date(2026, 2, 1), 1, 10000),
    ]
    weeks = await metrics.trend(shop.programme_id, date(2026, 1, 1), date(2026, 2, 28), "week", partner_id=books)
    assert [p.period_start for p in weeks] == [date(2026, 2, 2)]
    by_category = await metrics.breakdown(shop.programme_id, date(2026, 1, 1), date(2026, 2, 28), "category")
    assert [(row.key, row.views) for row in by_category] == [("dining", 4), ("books", 1)]
    by_location = await metrics.breakdown(shop.programme_id, date(2026, 1, 1), date(2026, 2, 28), "location")
    assert {row.key: row.views for row in by_location} == {"Pune": 3, "Mumbai": 1, "Berlin": 1}
    before = await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 2, 28))
    assert await rollup.rebuild(date(2026, 1, 1), date(2026, 2, 28)) > 0
    assert await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 2, 28)) == before


async def test_every_breakdown_and_segment_reads_through_the_fixed_statements(shop, monkeypatch):
    """DESIGN.md rule 8: each grouping is one of metrics' fixed statements, only the bound WHERE
    added; a segment narrows both the sums and the last redemption."""
    chai = shop.partners[0].id
    await events.record_events(
        [fact(shop, "viewed", "v-1"), fact(shop, "redeemed", "r-1"), fact(shop, "viewed", "v-2", person=2, partner=1)]
    )
    sent = []
    real_fetch = metrics.sql.fetch

    async def fetch(statement, *args):
        sent.append(statement)
        return await real_fetch(statement, *args)

    monkeypatch.setattr(metrics.sql, "fetch", fetch)
    january = (shop.programme_id, date(2026, 1, 1), date(2026, 1, 31))
    for by in metrics.BREAKDOWNS:
        assert sum(row.views for row in await metrics.breakdown(*january, by)) == 2, by
    by_grade = await metrics.breakdown(*january, "grade", Segment(country="IN"))
    assert [(row.key, row.views, row.redemptions) for row in by_grade] == [("5", 1, 1)]
    [pune] = await metrics.partner_figures(*january, Segment(location="Pune"))
    assert (pune.partner_id, pune.views, pune.last_redemption_on) == (chai, 1, date(2026, 1, 5))
    assert await metrics.partner_figures(*january, Segment(location="Berlin", business_unit="Retail")) != []
    assert [row.last_redemption_on for row in await metrics.partner_figures(*january, Segment(country="DE"))] == [None]
    fixed = {*metrics._GROUPED.values(), *metrics._WITH_LAST_REDEMPTION.values()}
    heads = {text.split("{")[0] for text in fixed}
    assert sent and all(statement.split(" WHERE")[0] in heads for statement in sent), sent


async def test_a_batch_reads_each_days_rate_once_whatever_the_values(shop, monkeypatch):
    await fx.set_rate(SYSTEM, date(2026, 1, 1), "EUR", "INR", "90")
    reads = []
    real_fetchrow = fx.sql.fetchrow

    async def fetchrow(statement, *args):
        reads.append(statement) if "FROM fx_rates" in statement else None
        return await real_fetchrow(statement, *args)

    monkeypatch.setattr(fx.sql, "fetchrow", fetchrow)
    spends = [fact(shop, "spend", f"s-{n}", value_minor=100 * n, currency="EUR") for n in range(1, 6)]
    await events.record_events([*spends, fact(shop, "spend", "s-inr", value_minor=700, currency="INR")])
    assert len(reads) == 1  # one EUR/INR rate for the day, not one per value; INR needs none
    [figures] = await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 1, 31))
    assert figures.spend_minor == 90 * (100 + 200 + 300 + 400 + 500) + 700


async def test_a_period_with_partial_months_at_both_ends_gives_exactly_the_daily_sums(shop):
    """Whole months are read from the monthly roll-up and the edge days from the daily one: every
    period (partial months at both ends, whole months only, inside one month, across two) gives
    the sums of its days, per partner, offer, segment and month, nothing from the days outside."""
    days = [date(2026, 1, d) for d in (19, 20, 31)] + [date(2026, 2, d) for d in (1, 15, 28)]
    days += [date(2026, 3, d) for d in (1, 10, 11, 31)]
    facts = []
    for index, day in enumerate(days):
        at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        facts.append(fact(shop, "viewed", f"v-{index}", at=at, person=index % 3, offer=index % 2))
        facts.append(fact(shop, "spend", f"s-{index}", at=at, person=2, partner=1, value_minor=100 * (index + 1), currency="INR"))
    await events.record_events(facts)

    def expected(start, end, country=None):
        # Berlin's person is the only DE one; the spends are all hers.
        chosen = [f for f in facts if start <= f.occurred_at.date() <= end]
        if country == "DE":
            chosen = [f for f in chosen if f.recipient_id == shop.people[2]]
        views = sum(1 for f in chosen if f.kind == "viewed")
        return views, sum(f.value_minor or 0 for f in chosen)

    for start, end in (
        (date(2026, 1, 20), date(2026, 3, 10)),  # partial January and March around a whole February
        (date(2026, 1, 1), date(2026, 3, 31)),  # whole months only
        (date(2026, 2, 2), date(2026, 2, 27)),  # inside one month
        (date(2026, 1, 31), date(2026, 3, 1)),  # one day each side of a whole month
        (date(2026, 1, 20), date(2026, 2, 15)),  # across two months, none whole
    ):
        for country in (None, "DE"):
            segment = Segment(country=country) if country else None
            rows = await metrics.partner_figures(shop.programme_id, start, end, segment)
            assert (sum(r.views for r in rows), sum(r.spend_minor for r in rows)) == expected(start, end, country), (start, end)
            months = await metrics.trend(shop.programme_id, start, end, "month", segment)
            assert (sum(p.views for p in months), sum(p.spend_minor for p in months)) == expected(start, end, country)
            assert all(p.period_start.day == 1 for p in months)
            by_offer = await metrics.breakdown(shop.programme_id, start, end, "offer", segment)
            assert sum(row.views for row in by_offer) == expected(start, end, country)[0]
        chai = shop.partners[0].id
        offers = await metrics.offer_figures(shop.programme_id, chai, start, end)
        assert sum(o.views for o in offers) == expected(start, end)[0]
    months = await metrics.trend(shop.programme_id, date(2026, 1, 20), date(2026, 3, 10), "month")
    assert [(p.period_start, p.views) for p in months] == [(date(2026, 1, 1), 2), (date(2026, 2, 1), 3), (date(2026, 3, 1), 2)]
