"""The monthly SLA report for admins: a programme and a month picked, per priority the tickets opened,
first response and resolution met or breached, the time to each (median and p90, hours), and CSAT;
as a table, as charts, and as a CSV export. Everything from the desk's SLA report service."""

from __future__ import annotations

import calendar
import uuid

from nicegui import ui

from backend.core.authz import Actor
from backend.core.clock import utcnow
from backend.recipients import services as recipients
from backend.tickets.services import sla_report
from backend.tickets.services.sla_report import PriorityFigures
from ui import navigation
from ui.components.action import perform
from ui.components.display import EMPTY
from ui.pages.tickets.words import PRIORITIES
from ui.session import current_actor
from ui.theme import frame

MONTHS_BACK = 12
MET, BREACHED, MEDIAN, P90 = "#2e7d32", "#c62828", "#5e35b1", "#b39ddb"


def month_choices(now) -> dict[str, str]:
    """The last twelve months, newest first: ``YYYY-MM`` → "December 2026"."""
    year, month, choices = now.year, now.month, {}
    for _ in range(MONTHS_BACK):
        choices[f"{year:04}-{month:02}"] = f"{calendar.month_name[month]} {year}"
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return choices


def hours(value: float | None) -> str:
    """A duration given in hours, in the unit a person reads it in."""
    if value is None:
        return EMPTY
    return f"{round(value * 60)} min" if value < 1 else f"{value:,.1f} h"


def _bar(name: str, colour: str, data: list, stack: str | None = None) -> dict:
    series = {"name": name, "type": "bar", "itemStyle": {"color": colour}, "data": data}
    return series | ({"stack": stack} if stack else {})


def _chart(title: str, labels: list[str], series: list[dict], axis: str = "") -> dict:
    return {
        "animation": False,
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14, "fontWeight": 500}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0, "left": 0},
        "grid": {"left": 8, "right": 8, "top": 48, "bottom": 56, "containLabel": True},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": axis, "minInterval": 1},
        "series": series,
    }


def compliance_chart(figures: list[PriorityFigures]) -> dict:
    """Met and breached per priority, first response and resolution side by side."""
    labels = [PRIORITIES.get(f.priority, f.priority) for f in figures]
    return _chart(
        "Targets met and breached",
        labels,
        [
            _bar("First response met", MET, [f.first_response_met for f in figures], "first"),
            _bar("First response breached", BREACHED, [f.first_response_breached for f in figures], "first"),
            _bar("Resolution met", "#66bb6a", [f.resolution_met for f in figures], "resolution"),
            _bar("Resolution breached", "#ef9a9a", [f.resolution_breached for f in figures], "resolution"),
        ],
        "tickets",
    )


def times_chart(figures: list[PriorityFigures]) -> dict:
    labels = [PRIORITIES.get(f.priority, f.priority) for f in figures]
    return _chart(
        "Time to first response and to resolution",
        labels,
        [
            _bar("First response, median", MEDIAN, [f.first_response_hours_median for f in figures]),
            _bar("First response, p90", P90, [f.first_response_hours_p90 for f in figures]),
            _bar("Resolution, median", "#00838f", [f.resolution_hours_median for f in figures]),
            _bar("Resolution, p90", "#80deea", [f.resolution_hours_p90 for f in figures]),
        ],
        "hours",
    )


COLUMNS = [
    {"name": "priority", "label": "Priority", "field": "priority", "align": "left"},
    {"name": "opened", "label": "Opened", "field": "opened"},
    {"name": "first_met", "label": "First response met", "field": "first_met"},
    {"name": "first_breached", "label": "breached", "field": "first_breached"},
    {"name": "first_times", "label": "Median / p90", "field": "first_times"},
    {"name": "resolution_met", "label": "Resolution met", "field": "resolution_met"},
    {"name": "resolution_breached", "label": "breached", "field": "resolution_breached"},
    {"name": "resolution_times", "label": "Median / p90", "field": "resolution_times"},
    {"name": "csat", "label": "CSAT", "field": "csat"},
]


def table_rows(figures: list[PriorityFigures]) -> list[dict]:
    return [
        {
            "priority": PRIORITIES.get(f.priority, f.priority),
            "opened": f.opened,
            "first_met": f.first_response_met,
            "first_breached": f.first_response_breached,
            "first_times": f"{hours(f.first_response_hours_median)} / {hours(f.first_response_hours_p90)}",
            "resolution_met": f.resolution_met,
            "resolution_breached": f.resolution_breached,
            "resolution_times": f"{hours(f.resolution_hours_median)} / {hours(f.resolution_hours_p90)}",
            "csat": EMPTY if f.csat_average is None else f"{f.csat_average:.2f} of 5 ({f.csat_count})",
        }
        for f in figures
    ]


class SlaReportPage:
    def __init__(self, actor: Actor, programmes: dict[str, str], programme: str | None, month: str | None) -> None:
        self.actor, self.programmes = actor, programmes
        self.months = month_choices(utcnow())
        self.programme = programme if programme in programmes else next(iter(programmes), None)
        self.month = month if month in self.months else next(iter(self.months))
        self.report: ui.column | None = None

    async def build(self) -> None:
        with frame(
            navigation.SLA_REPORT.label,
            "Per priority, for the tickets opened in the month: targets met and breached, the time to first response "
            "and to resolution (median and 90th percentile, in hours) and the recipients' satisfaction.",
        ) as page:
            with page.actions:
                ui.select(self.programmes, value=self.programme, label="Programme", on_change=self.pick_programme).props(
                    "outlined dense options-dense"
                ).classes("w-56").mark("report-programme")
                ui.select(self.months, value=self.month, label="Month", on_change=self.pick_month).props(
                    "outlined dense options-dense"
                ).classes("w-44").mark("report-month")
                ui.button("Export CSV", icon="download", on_click=self.export).props("outline no-caps").mark("export-csv")
            self.report = ui.column().classes("w-full gap-4")
        await self.show()

    async def pick_programme(self, event) -> None:
        self.programme = event.value
        await self.show()

    async def pick_month(self, event) -> None:
        self.month = event.value or self.month
        await self.show()

    def _period(self) -> tuple[int, int]:
        year, month = self.month.split("-")
        return int(year), int(month)

    async def show(self) -> None:
        self.report.clear()
        if self.programme is None:
            with self.report:
                ui.label("There is no programme yet.").classes("text-body1").mark("no-programme")
            return
        figures = await perform(lambda actor: sla_report.monthly_report(actor, uuid.UUID(self.programme), *self._period()))
        if figures is None:
            return
        with self.report:
            if not any(f.opened for f in figures):
                with ui.card().classes("mb-card q-pa-lg w-full items-center").mark("no-tickets"):
                    ui.label(f"No ticket was opened in {self.months[self.month]}.").classes("text-body1")
                return
            ui.table(columns=COLUMNS, rows=table_rows(figures), row_key="priority").props("flat bordered dense").classes(
                "w-full"
            ).mark("sla-table")
            with ui.row().classes("w-full gap-4 no-wrap"):
                for chart, marker in ((compliance_chart(figures), "compliance-chart"), (times_chart(figures), "times-chart")):
                    with ui.card().classes("mb-card q-pa-md").style("flex: 1 1 0; min-width: 0"):
                        ui.echart(chart).classes("w-full").style("height: 340px").mark(marker)

    async def export(self) -> None:
        if self.programme is None:
            return
        year, month = self._period()
        text = await perform(lambda actor: sla_report.monthly_report_csv(actor, uuid.UUID(self.programme), year, month))
        if text is not None:
            name = f"sla-report-{self.programmes[self.programme]}-{self.month}.csv".replace(" ", "-").lower()
            ui.download.content(text.encode("utf-8-sig"), name, "text/csv")
            ui.notify(f"Exported {name}.", type="positive")


async def sla_report_page(programme: str | None = None, month: str | None = None) -> None:
    actor = await current_actor()
    if actor is None:
        return
    found = (await recipients.list_programmes(actor, limit=200)).rows
    await SlaReportPage(actor, {str(p.id): p.name for p in found}, programme, month).build()
