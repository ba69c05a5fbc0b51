"""The partner-performance dashboard: the funnel per partner (views → activations → redemptions,
with rates), spend, the trend by week or month, comparisons across categories, countries and
employee segments, and a partner's offers (the drill-down). One set of filters — programme, date
range, segment — applies to every view; every figure is read on the server from the metrics
queries for those filters, and the CSV export holds exactly what is shown."""

from __future__ import annotations

import uuid
from datetime import date

from nicegui import ui

from backend.core.authz import Actor
from backend.insights.segments import SEGMENT_FIELDS
from ui import navigation
from ui.components.action import perform
from ui.components.local_time import today
from ui.pages.catalog.words import category_words
from ui.pages.insights.dashboard_charts import comparison_chart, funnel_chart, spend_chart, trend_chart
from ui.pages.insights.dashboard_data import (
    COMPARISONS,
    FUNNEL_HEADINGS,
    GRANULARITIES,
    DashboardData,
    DashboardFilters,
    export_csv,
    funnel_cells,
    load,
    money,
    percent,
    segment_choices,
)
from ui.pages.insights.reviews import DASHBOARD_PATH, programme_names
from ui.session import signed_in
from ui.theme import frame

__all__ = ["DASHBOARD_PATH", "DashboardPage", "dashboard_page"]
ANY = ""


def _card(title: str, marker: str) -> ui.card:
    card = ui.card().classes("mb-card q-pa-md gap-2 w-full").mark(marker)
    with card:
        ui.label(title).classes("text-subtitle1 text-weight-medium")
    return card


def _chart(options: dict, marker: str, height: int = 280) -> None:
    ui.echart(options).classes("w-full").style(f"height: {height}px").mark(marker)


def _table(headings: list[str], rows: list[tuple], row_marker: str, first=None) -> None:
    """``rows`` are (key, first cell text, cells); ``first(key, text)`` draws the first cell when given."""
    with ui.element("q-markup-table").props("flat bordered dense wrap-cells").classes("w-full"):
        with ui.element("thead"), ui.element("tr"):
            for heading in headings:
                with ui.element("th").classes("text-left"):
                    ui.label(heading)
        with ui.element("tbody"):
            for key, text, cells in rows:
                with ui.element("tr").mark(row_marker):
                    with ui.element("td").classes("q-pa-sm"):
                        first(key, text) if first else ui.label(text).classes("text-body2")
                    for cell in cells:
                        with ui.element("td").classes("q-pa-sm"):
                            ui.label(cell).classes("text-body2")


class DashboardPage:
    def __init__(self, actor: Actor, programmes: dict, filters: DashboardFilters) -> None:
        self.actor, self.programmes, self.filters = actor, programmes, filters
        self.data: DashboardData | None = None

    async def build(self) -> None:
        with frame(
            "Performance dashboard",
            "Views → activations → redemptions and spend per partner, over a period and a segment of employees.",
        ) as page:
            with page.actions:
                ui.button("Export CSV", icon="download", on_click=self.download).props("outline no-caps").mark("dashboard-export")
            ui.link("← Partner performance", navigation.PARTNER_PERFORMANCE.path).classes("text-primary text-body2")
            await self._filters()
            await self.views()

    async def _filters(self) -> None:
        f = self.filters
        choices = await segment_choices(f)
        with ui.card().classes("mb-card q-pa-md w-full").mark("dashboard-filters"):
            with ui.row().classes("items-start gap-3 w-full"):
                self.programme = ui.select({str(k): v for k, v in self.programmes.items()}, value=str(f.programme_id))
                self.programme.props("outlined dense").classes("w-56").mark("dashboard-programme")
                self.start = ui.input("From", value=f.start.isoformat()).props("outlined dense type=date").mark("dashboard-from")
                self.end = ui.input("To", value=f.end.isoformat()).props("outlined dense type=date").mark("dashboard-to")
                self.granularity = ui.select(GRANULARITIES, value=f.granularity, label="Trend by").props("outlined dense")
                self.granularity.classes("w-32").mark("dashboard-granularity")
                self.compare = ui.select(COMPARISONS, value=f.compare_by, label="Compare by").props("outlined dense")
                self.compare.classes("w-40").mark("dashboard-compare")
            with ui.row().classes("items-start gap-3 w-full"):
                self.segment = {}
                for name in SEGMENT_FIELDS:
                    options = {ANY: "Any"} | {value: value for value in choices[name]}
                    chosen = f.segment.get(name) or ANY
                    options.setdefault(chosen, chosen)
                    self.segment[name] = (
                        ui.select(options, value=chosen, label=COMPARISONS[name])
                        .props("outlined dense")
                        .classes("w-40")
                        .mark(f"dashboard-{name}")
                    )
                ui.button("Apply", icon="filter_alt", on_click=self.apply).props("unelevated no-caps").mark("dashboard-apply")

    async def apply(self) -> None:
        try:
            start, end = date.fromisoformat(self.start.value), date.fromisoformat(self.end.value)
        except (TypeError, ValueError):
            ui.notify("The period's days are YYYY-MM-DD.", type="warning")
            return
        programme_id = uuid.UUID(self.programme.value)
        self.filters = DashboardFilters(
            programme_id,
            start,
            end,
            {name: select.value or None for name, select in self.segment.items()},
            self.granularity.value,
            self.compare.value,
            self.filters.partner_id if programme_id == self.filters.programme_id else None,
        )
        self.views.refresh()

    async def drill(self, partner_id: uuid.UUID | None) -> None:
        self.filters.partner_id = partner_id
        self.views.refresh()

    @ui.refreshable_method
    async def views(self) -> None:
        self.data = await perform(lambda actor: load(actor, self.filters))
        if self.data is None:
            ui.label("No figures for these filters.").classes("mb-muted").mark("dashboard-refused")
            return
        data = self.data
        if not data.partners:
            ui.label("No partner has figures in this period and segment.").classes("mb-muted").mark("dashboard-empty")
            return
        self._funnel(data)
        self._trend(data)
        self._comparison(data)
        if data.filters.partner_id:
            self._offers(data)

    def _funnel(self, data: DashboardData) -> None:
        views, activations, redemptions, spend = data.totals
        with _card("Funnel per partner", "dashboard-funnel"):
            ui.label(
                f"{views:,} views → {activations:,} activations ({percent(activations / views if views else None)}) → "
                f"{redemptions:,} redemptions ({percent(redemptions / activations if activations else None)}) · "
                f"spend {money(spend, data.currency)}"
            ).classes("text-body1").mark("dashboard-totals")
            with ui.row().classes("w-full no-wrap gap-4"):
                with ui.column().classes("col"):
                    _chart(funnel_chart(data.partners), "funnel-chart", 60 + 48 * len(data.partners))
                with ui.column().classes("col"):
                    _chart(spend_chart(data.partners, data.currency), "spend-chart", 60 + 48 * len(data.partners))
            rows = [(row.partner_id, row.partner_name, funnel_cells(row, data.currency)) for row in data.partners]

            def partner_cell(partner_id, name) -> None:
                async def open_offers() -> None:
                    await self.drill(partner_id)

                ui.button(name, on_click=open_offers).props("flat dense no-caps color=primary").mark("drill-partner")

            _table(["Partner", *FUNNEL_HEADINGS], rows, "funnel-row", partner_cell)

    def _trend(self, data: DashboardData) -> None:
        with _card(f"Trend by {data.filters.granularity}", "dashboard-trend"):
            _chart(trend_chart(data.trend, data.currency, data.filters.granularity), "trend-chart")
            rows = [(p.period_start, p.period_start.isoformat(), funnel_cells(p, data.currency)[:-1]) for p in data.trend]
            _table([GRANULARITIES[data.filters.granularity], *FUNNEL_HEADINGS[:-1]], rows, "trend-row")

    def _comparison(self, data: DashboardData) -> None:
        by = COMPARISONS[data.filters.compare_by]
        with _card(f"Compared by {by.lower()}", "dashboard-comparison"):
            _chart(comparison_chart(data.comparison), "comparison-chart")
            rows = [(row.key, row.label or "(unknown)", funnel_cells(row, data.currency)) for row in data.comparison]
            _table([by, *FUNNEL_HEADINGS], rows, "comparison-row")

    def _offers(self, data: DashboardData) -> None:
        name = next((row.partner_name for row in data.partners if row.partner_id == data.filters.partner_id), "")
        with _card(f"{name}: its offers", "dashboard-offers"):
            ui.button("Close", icon="close", on_click=lambda: self.drill(None)).props("flat dense no-caps").mark("drill-close")
            if not data.offers:
                ui.label("None of its offers has figures for these filters.").classes("mb-muted")
                return
            _chart(spend_chart(data.offers, data.currency, label=lambda row: row.offer_title), "offers-chart", 220)
            rows = [
                (row.offer_id, row.offer_title, [category_words(row.category), *funnel_cells(row, data.currency)])
                for row in data.offers
            ]
            _table(["Offer", "Category", *FUNNEL_HEADINGS], rows, "offer-row")

    async def download(self) -> None:
        if self.data is None:
            ui.notify("Nothing is shown to export.", type="warning")
            return
        f = self.filters
        ui.download.content(export_csv(self.data).encode("utf-8-sig"), f"performance-{f.start}-{f.end}.csv", "text/csv")


async def dashboard_page() -> None:
    actor = signed_in().actor
    programmes = await programme_names(actor)
    if not programmes:
        with frame("Performance dashboard"):
            ui.label("No programme yet.").classes("mb-muted").mark("dashboard-empty")
        return
    await DashboardPage(actor, programmes, DashboardFilters.default(next(iter(programmes)), today())).build()
