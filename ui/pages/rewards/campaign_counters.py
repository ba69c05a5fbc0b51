"""A campaign's live counters: what it has issued, what waits for approval and what is left of its
maximum count and budget, as tallies and as one bar per limit (used, held, left)."""

from __future__ import annotations

from nicegui import ui

from backend.campaigns.views import CampaignView
from ui.pages.rewards.words import campaign_amount

USED, HELD, LEFT = "#5b3f8f", "#e0a526", "#e4e1ec"


def _tally(label: str, value: str, hint: str, marker: str, icon: str) -> None:
    with ui.card().classes("mb-card q-pa-md gap-1").mark(marker):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon(icon, size="22px", color="primary")
            ui.label(label).classes("text-body2 text-weight-medium")
        ui.label(value).classes("text-h5 text-weight-bold").mark(f"{marker}-value")
        ui.label(hint).classes("mb-muted text-caption")


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def usage_chart(campaign: CampaignView) -> dict | None:
    """ECharts options: one stacked bar per limit the campaign has, in percent of the limit, labelled
    with the real numbers. None when it has neither a maximum count nor a budget."""
    limits = []
    if campaign.budget is not None:
        limits.append(
            ("Budget", campaign.budget, campaign.issued_value, campaign.pending_value, lambda v: campaign_amount(campaign, v))
        )
    if campaign.max_rewards is not None:
        limits.append(("Rewards", campaign.max_rewards, campaign.issued_count, campaign.pending_count, lambda v: f"{v:,}"))
    if not limits:
        return None

    def series(name: str, colour: str, pick) -> dict:
        data = []
        for _, limit, used, held, text in limits:
            part = pick(limit, used, held)
            data.append({"value": _share(part, limit), "label": {"show": part > 0, "formatter": text(part)}})
        return {
            "name": name,
            "type": "bar",
            "stack": "limit",
            "barWidth": 28,
            "itemStyle": {"color": colour},
            "data": data,
            "label": {"color": "#ffffff" if colour != LEFT else "#4a4660", "fontSize": 12},
        }

    return {
        "animation": False,
        "grid": {"left": 80, "right": 24, "top": 36, "bottom": 8},
        "legend": {"top": 0, "left": 80, "data": ["Issued", "Waiting for approval", "Left"]},
        "tooltip": {"trigger": "item", "formatter": "{a}: {c}% of the limit"},
        "xAxis": {"type": "value", "max": 100, "show": False},
        "yAxis": {"type": "category", "data": [name for name, *_ in limits], "inverse": True, "axisTick": {"show": False}},
        "series": [
            series("Issued", USED, lambda limit, used, held: used),
            series("Waiting for approval", HELD, lambda limit, used, held: held),
            series("Left", LEFT, lambda limit, used, held: max(0, limit - used - held)),
        ],
    }


def counters(campaign: CampaignView) -> None:
    remaining_budget = campaign.remaining_budget
    remaining_count = campaign.remaining_count
    with ui.element("div").classes("mb-tallies").mark("campaign-counters"):
        _tally(
            "Issued",
            f"{campaign.issued_count:,}",
            f"worth {campaign_amount(campaign, campaign.issued_value)}",
            "counter-issued",
            "redeem",
        )
        _tally(
            "Waiting for approval",
            f"{campaign.pending_count:,}",
            f"holding {campaign_amount(campaign, campaign.pending_value)}",
            "counter-pending",
            "hourglass_top",
        )
        _tally(
            "Remaining budget",
            "no limit" if remaining_budget is None else campaign_amount(campaign, remaining_budget),
            "no budget set" if campaign.budget is None else f"of {campaign_amount(campaign, campaign.budget)}",
            "counter-budget-left",
            "account_balance_wallet",
        )
        _tally(
            "Remaining rewards",
            "no limit" if remaining_count is None else f"{remaining_count:,}",
            "no maximum set" if campaign.max_rewards is None else f"of {campaign.max_rewards:,}",
            "counter-count-left",
            "confirmation_number",
        )
    options = usage_chart(campaign)
    if options is not None:
        height = 60 + 44 * len(options["yAxis"]["data"])
        with ui.card().classes("mb-card q-pa-md w-full gap-1"):
            ui.label("Used and left").classes("text-subtitle1 text-weight-medium")
            ui.echart(options).classes("w-full").style(f"height: {height}px").mark("campaign-usage-chart")
