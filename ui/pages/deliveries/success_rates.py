"""Delivery success rates over a period, per channel and per provider, as charts: the share of
deliveries that arrived, and beside it how many failed and how many are still on their way."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui

from backend.core.authz import Actor
from backend.core.clock import utcnow
from backend.deliveries.services import statistics
from ui import navigation
from ui.pages.deliveries.words import channel_name, provider_name
from ui.session import current_actor
from ui.theme import frame

PERIODS = {"1": "Last 24 hours", "7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days"}
DEFAULT_PERIOD = "7"
DELIVERED, FAILED_COLOUR, PENDING_COLOUR = "#2e7d32", "#c62828", "#9e9aae"


def rate_chart(title: str, rates: list, name) -> dict:
    """A horizontal stacked bar per channel or provider: delivered, failed and pending counts, each
    bar labelled with its success rate."""
    labels = [name(rate.key) for rate in rates]
    # "Delivered": accepted by the provider (sent) or confirmed by its callback (delivered).

    def series(label: str, colour: str, value) -> dict:
        return {
            "name": label,
            "type": "bar",
            "stack": "all",
            "itemStyle": {"color": colour},
            "data": [value(rate) for rate in rates],
        }

    delivered = series("Delivered", DELIVERED, lambda rate: rate.counts.sent + rate.counts.delivered)
    delivered["label"] = {"show": True, "position": "insideLeft", "color": "#fff", "formatter": "{c}"}
    return {
        "animation": False,  # a report: the figures as they are, not growing into place
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14, "fontWeight": 500}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "right": 0},
        "grid": {"left": 8, "right": 120, "top": 40, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": [f"{label}  {rate_text(rate)}" for label, rate in zip(labels, rates)],
        },
        "series": [
            delivered,
            series("Failed", FAILED_COLOUR, lambda rate: rate.counts.failed),
            series("On the way", PENDING_COLOUR, lambda rate: rate.counts.pending + rate.counts.sending),
        ],
    }


def rate_text(rate) -> str:
    share = rate.counts.success_rate
    return "—" if share is None else f"{100 * share:.1f}%"


class SuccessRatesPage:
    def __init__(self, period: str) -> None:
        self.period = period if period in PERIODS else DEFAULT_PERIOD
        self.charts: ui.column | None = None

    async def build(self) -> None:
        with frame(
            navigation.DELIVERY_RATES.label,
            "Per channel: the deliveries made in the period, delivered, failed or still on their way. "
            "Per provider: its attempts in the period, accepted or refused.",
        ) as page:
            with page.actions:
                ui.select(PERIODS, value=self.period, label="Period", on_change=self.changed).props(
                    "outlined dense options-dense"
                ).classes("w-48").mark("rates-period")
            ui.link("← Deliveries", navigation.DELIVERIES.path).classes("text-primary text-body2")
            self.charts = ui.column().classes("w-full gap-4")
        await self.show()

    async def changed(self, event) -> None:
        self.period = event.value or DEFAULT_PERIOD
        await self.show()

    async def show(self) -> None:
        actor: Actor | None = await current_actor()
        if actor is None:
            return
        until = utcnow()
        since = until - timedelta(days=int(self.period))
        rates = await statistics.success_rates(actor, since=since, until=until)
        self.charts.clear()
        with self.charts:
            if not rates.by_channel:
                with ui.card().classes("mb-card q-pa-lg w-full items-center").mark("no-rates"):
                    ui.label(f"No reward was issued in the {PERIODS[self.period].lower()}.").classes("text-body1")
                return
            for title, found, name, marker in (
                ("Per channel", rates.by_channel, channel_name, "rates-by-channel"),
                ("Per provider (attempts)", rates.by_provider, provider_name, "rates-by-provider"),
            ):
                height = 80 + 44 * max(1, len(found))
                with ui.card().classes("mb-card q-pa-md w-full"):
                    ui.echart(rate_chart(title, found, name)).classes("w-full").style(f"height: {height}px").mark(marker)


async def success_rates_page(period: str = DEFAULT_PERIOD) -> None:
    await SuccessRatesPage(period).build()
