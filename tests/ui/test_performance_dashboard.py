"""The performance dashboard reads every figure on the server for its filters: what it shows (the
funnel per partner, the trend, the comparison, a partner's offers) and what it exports equal the
metrics queries for the same programme, period and segment."""

from __future__ import annotations

import csv
import io
import os
import sys
from datetime import UTC, datetime, time, timedelta

import pytest
from delivery_console_steps import choose
from nicegui import ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "insights"))  # the insights steps

from insight_steps import make_shop

from backend.core.clock import utcnow
from backend.insights import events, metrics
from backend.insights.events import PerformanceEvent
from backend.insights.segments import Segment
from ui.pages.insights.dashboard_data import DashboardFilters, export_csv, funnel_cells, load


async def _record(shop, partner: int, offer: int, person: int, day, views=0, activations=0, redemptions=0, spend=0):
    offer_id = shop.offers[shop.partners[partner].id][offer].id
    at = datetime.combine(day, time(10), tzinfo=UTC)
    facts = []
    for kind, count in (("viewed", views), ("activated", activations), ("redeemed", redemptions), ("spend", 1 if spend else 0)):
        facts += [
            PerformanceEvent(
                kind=kind, occurred_at=at, programme_id=shop.programme_id, source="dashboard-test",
                source_ref=f"{kind}-{partner}-{offer}-{person}-{day}-{n}", offer_id=offer_id,
                recipient_id=shop.people[person], value_minor=spend if kind == "spend" else None,
                currency="INR" if kind == "spend" else None,
            )
            for n in range(count)
        ]  # fmt: skip
    await events.record_events(facts)


@pytest.fixture
async def figures(admin):
    """Two partners' funnels across three people (IN Retail, IN Logistics, DE Retail) and two months."""
    shop = await make_shop(admin)
    today = utcnow().date()
    recent, earlier = today - timedelta(days=3), today - timedelta(days=40)
    await _record(shop, 0, 0, 0, recent, views=10, activations=4, redemptions=2, spend=20_000)
    await _record(shop, 0, 1, 1, earlier, views=6, activations=1)
    await _record(shop, 1, 0, 2, recent, views=5, activations=3, redemptions=2, spend=50_000)
    await _record(shop, 1, 1, 1, earlier, views=4, activations=2, redemptions=1, spend=10_000)
    shop.start, shop.end = today - timedelta(days=89), today
    return shop


def _rows(user: User, marker: str) -> list[list[str]]:
    """Each row's texts (labels and the drill-down button), as shown."""
    return [
        [child.text for child in sorted(row.descendants(), key=lambda e: e.id) if isinstance(child, (ui.label, ui.button))]
        for row in sorted(user.find(marker=marker).elements, key=lambda element: element.id)  # in page order
    ]


def _expected_funnel(found) -> list[list[str]]:
    return [[row.partner_name, *funnel_cells(row, row.currency)] for row in found]


async def test_every_view_shows_the_metrics_of_its_filters(console: User, figures, patience) -> None:
    shop = figures
    await console.open("/partner-performance/dashboard")
    await console.should_see(marker="dashboard-filters", retries=patience)
    choose(console, "dashboard-programme", str(shop.programme_id))
    choose(console, "dashboard-from", shop.start.isoformat())
    choose(console, "dashboard-granularity", "month")
    choose(console, "dashboard-compare", "country")
    console.find(marker="dashboard-apply").click()
    everyone = await metrics.partner_figures(shop.programme_id, shop.start, shop.end)
    await console.should_see("25 views → 10 activations (40.0 %) → 5 redemptions (50.0 %)", retries=patience)
    assert _rows(console, "funnel-row") == _expected_funnel(everyone)
    assert [row.partner_name for row in everyone] == ["Book Nook", "Chai Point"]  # by spend

    # The segment narrows every view: business unit Retail leaves out person 1's (Logistics) figures.
    choose(console, "dashboard-business_unit", "Retail")
    console.find(marker="dashboard-apply").click()
    await console.should_see("15 views → 7 activations (46.7 %) → 4 redemptions (57.1 %)", retries=patience)
    retail = Segment(business_unit="Retail")
    assert _rows(console, "funnel-row") == _expected_funnel(
        await metrics.partner_figures(shop.programme_id, shop.start, shop.end, retail)
    )
    trend = await metrics.trend(shop.programme_id, shop.start, shop.end, "month", retail)
    assert _rows(console, "trend-row") == [[p.period_start.isoformat(), *funnel_cells(p, p.currency)[:-1]] for p in trend]
    by_country = await metrics.breakdown(shop.programme_id, shop.start, shop.end, "country", retail)
    assert {row.label for row in by_country} == {"IN", "DE"}
    assert _rows(console, "comparison-row") == [[row.label, *funnel_cells(row, row.currency)] for row in by_country]

    # Drill down from Book Nook to its offers, still within the segment.
    book_nook = shop.partners[1]
    await _click_partner(console, "Book Nook")
    await console.should_see(marker="dashboard-offers", retries=patience)
    offers = await metrics.offer_figures(shop.programme_id, book_nook.id, shop.start, shop.end, retail)
    assert [row.offer_title for row in offers] == ["Book Nook 1"]  # its second offer's figures are Logistics'
    assert _rows(console, "offer-row") == [[o.offer_title, "Books", *funnel_cells(o, o.currency)] for o in offers]


async def _click_partner(user: User, name: str) -> None:
    for button in user.find(marker="drill-partner").elements:
        if button.text == name:
            user.find(kind=ui.button, content=name).click()
            return
    raise AssertionError(f"no drill-down button for {name}")


async def test_the_export_holds_the_rows_shown(admin, figures) -> None:
    shop = figures
    filters = DashboardFilters(shop.programme_id, shop.start, shop.end, {"country": "IN"}, "week", "department")
    filters.partner_id = shop.partners[0].id
    data = await load(admin, filters)
    rows = list(csv.reader(io.StringIO(export_csv(data))))
    india = Segment(country="IN")
    partners = {row[1]: row[3:9] for row in rows if row and row[0] == "partner"}
    assert partners == {
        str(p.partner_id): [str(p.views), str(p.activations), _rate(p.activation_rate), str(p.redemptions),
                            _rate(p.redemption_rate), str(p.spend_minor)]
        for p in await metrics.partner_figures(shop.programme_id, shop.start, shop.end, india)
    }  # fmt: skip
    assert sorted(row[1] for row in rows if row and row[0] == "comparison") == sorted(
        r.label for r in await metrics.breakdown(shop.programme_id, shop.start, shop.end, "department", india)
    )
    trend = await metrics.trend(shop.programme_id, shop.start, shop.end, "week", india)
    assert [(row[1], row[2]) for row in rows if row and row[0] == "trend"] == [
        (p.period_start.isoformat(), str(p.views)) for p in trend
    ]
    offers = await metrics.offer_figures(shop.programme_id, shop.partners[0].id, shop.start, shop.end, india)
    assert [(row[2], row[4]) for row in rows if row and row[0] == "offer"] == [(o.offer_title, str(o.views)) for o in offers]
    assert sum(int(row[3]) for row in rows if row and row[0] == "partner") == 20  # person 0 and 1 are in India

    # Compared by category, a category reads as its words ("Dining"), not its stored key ("dining").
    filters.compare_by = "category"
    by_category = (await load(admin, filters)).comparison
    assert sorted((row.key, row.label) for row in by_category) == [("books", "Books"), ("dining", "Dining")]


def _rate(value) -> str:
    return "" if value is None else f"{value:.4f}"
