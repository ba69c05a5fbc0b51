"""What the performance dashboard shows for a set of filters, read on the server from
``backend.insights.metrics`` (every figure is a metrics query for the same programme, period and
segment), and the CSV of exactly those rows."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from backend.core.authz import Actor, Permission
from backend.core.money import format_money
from backend.insights import metrics
from backend.insights.segments import SEGMENT_FIELDS, Segment
from ui.pages.catalog.words import category_words

COMPARISONS = {
    "category": "Category",
    "country": "Country",
    "business_unit": "Business unit",
    "department": "Department",
    "grade": "Grade",
    "location": "Location",
}
GRANULARITIES = {"week": "Week", "month": "Month"}
DEFAULT_DAYS = 90


@dataclass
class DashboardFilters:
    """The filters every view of the dashboard is read with; a segment field of '' or None is any."""

    programme_id: uuid.UUID
    start: date
    end: date
    segment: dict = field(default_factory=dict)  # SEGMENT_FIELDS -> value
    granularity: str = "week"
    compare_by: str = "category"
    partner_id: uuid.UUID | None = None  # the drill-down

    @classmethod
    def default(cls, programme_id: uuid.UUID, today: date) -> DashboardFilters:
        return cls(programme_id, today - timedelta(days=DEFAULT_DAYS - 1), today)

    def as_segment(self) -> Segment | None:
        chosen = {name: (self.segment.get(name) or None) for name in SEGMENT_FIELDS}
        return Segment(**chosen) if any(chosen.values()) else None


@dataclass
class DashboardData:
    filters: DashboardFilters
    currency: str
    partners: list  # metrics.PartnerFigures
    trend: list  # metrics.TrendPoint
    comparison: list  # metrics.BreakdownRow
    offers: list  # metrics.OfferFigures of the drilled-down partner, else []

    @property
    def totals(self) -> tuple[int, int, int, int]:
        return metrics.totals(self.partners)


async def load(actor: Actor, filters: DashboardFilters) -> DashboardData:
    """The dashboard's figures (a period or breakdown refused by metrics raises its DomainError)."""
    actor.require(Permission.REPORTS_READ)
    segment = filters.as_segment()
    args = (filters.programme_id, filters.start, filters.end)
    partners = await metrics.partner_figures(*args, segment)
    trend = await metrics.trend(*args, filters.granularity, segment)
    comparison = await metrics.breakdown(*args, filters.compare_by, segment)
    if filters.compare_by == "category":  # the category's words, not its stored key
        comparison = [replace(row, label=category_words(row.key)) for row in comparison]
    offers = (
        await metrics.offer_figures(filters.programme_id, filters.partner_id, *args[1:], segment) if filters.partner_id else []
    )
    currency = partners[0].currency if partners else trend[0].currency if trend else ""
    return DashboardData(filters, currency, partners, trend, comparison, offers)


async def segment_choices(filters: DashboardFilters) -> dict[str, list[str]]:
    """Each segment field's values with figures in the period (the filters' options)."""
    found = {}
    for name in SEGMENT_FIELDS:
        rows = await metrics.breakdown(filters.programme_id, filters.start, filters.end, name)
        found[name] = sorted(row.key for row in rows if row.key)
    return found


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def money(minor: int, currency: str) -> str:
    return format_money(minor, currency) if currency else f"{minor:,}"


def funnel_cells(row, currency: str) -> list[str]:
    """Views → activations → redemptions with their rates, spend and its share: as shown and exported."""
    return [
        f"{row.views:,}",
        f"{row.activations:,}",
        percent(row.activation_rate),
        f"{row.redemptions:,}",
        percent(row.redemption_rate),
        money(row.spend_minor, currency),
        percent(getattr(row, "spend_share", None)),  # a trend point has no share
    ]


FUNNEL_HEADINGS = ["Views", "Activations", "Activation rate", "Redemptions", "Redemption rate", "Spend", "Spend share"]


def export_csv(data: DashboardData) -> str:
    """Every table the dashboard shows for these filters, one section after another, figures raw
    (spend in minor units of the currency) so a spreadsheet can sum them."""
    out = io.StringIO()
    writer = csv.writer(out)
    f = data.filters
    writer.writerow(["programme", str(f.programme_id), "from", f.start.isoformat(), "to", f.end.isoformat()])
    writer.writerow(["segment", *(f"{name}={f.segment.get(name) or 'any'}" for name in SEGMENT_FIELDS)])
    raw = ["views", "activations", "activation_rate", "redemptions", "redemption_rate", "spend_minor", "currency"]

    def figures(row) -> list:
        def rate(value):
            return "" if value is None else f"{value:.4f}"

        return [
            row.views,
            row.activations,
            rate(row.activation_rate),
            row.redemptions,
            rate(row.redemption_rate),
            row.spend_minor,
            data.currency,
        ]

    writer.writerow([])
    writer.writerow(["section", "partner_id", "partner", *raw, "spend_share", "last_redemption_on"])
    for row in data.partners:
        share = "" if row.spend_share is None else f"{row.spend_share:.4f}"
        writer.writerow(["partner", row.partner_id, row.partner_name, *figures(row), share, row.last_redemption_on or ""])
    writer.writerow([])
    writer.writerow(["section", f"{f.granularity}_from", *raw])
    for point in data.trend:
        writer.writerow(["trend", point.period_start.isoformat(), *figures(point)])
    writer.writerow([])
    writer.writerow(["section", f.compare_by, *raw, "spend_share"])
    for row in data.comparison:
        writer.writerow(["comparison", row.label, *figures(row), "" if row.spend_share is None else f"{row.spend_share:.4f}"])
    if data.offers:
        writer.writerow([])
        writer.writerow(["section", "offer_id", "offer", "category", *raw, "spend_share"])
        for row in data.offers:
            share = "" if row.spend_share is None else f"{row.spend_share:.4f}"
            writer.writerow(["offer", row.offer_id, row.offer_title, row.category, *figures(row), share])
    return out.getvalue()
