"""The performance dashboard's ECharts options, drawn from the rows the dashboard already read
(no query here): the funnel per partner, spend, the trend and a comparison."""

from __future__ import annotations

from datetime import date

from backend.core.money import from_minor

VIEWS, ACTIVATIONS, REDEMPTIONS, SPEND = "#b9a7d9", "#5b3f8f", "#e0a526", "#2e7d6b"


def _base(categories: list[str], *, horizontal: bool = False) -> dict:
    category_axis = {"type": "category", "data": categories, "axisLabel": {"overflow": "truncate", "width": 140}}
    value_axis = {"type": "value"}
    return {
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
    }


def _bar(name: str, colour: str, values: list, **extra) -> dict:
    return {"name": name, "type": "bar", "itemStyle": {"color": colour}, "data": values, **extra}


def funnel_chart(partners: list) -> dict:
    """Views, activations and redemptions side by side per partner (largest spend at the top)."""
    rows = list(reversed(partners))
    options = _base([row.partner_name for row in rows], horizontal=True)
    options["series"] = [
        _bar("Views", VIEWS, [row.views for row in rows]),
        _bar("Activations", ACTIVATIONS, [row.activations for row in rows]),
        _bar("Redemptions", REDEMPTIONS, [row.redemptions for row in rows]),
    ]
    return options


def _amount(minor: int, currency: str) -> float:
    return float(from_minor(minor, currency)) if currency else float(minor)


def spend_chart(rows: list, currency: str, label=lambda row: row.partner_name) -> dict:
    options = _base([label(row) for row in rows])
    options["yAxis"]["name"] = currency
    options["series"] = [_bar("Spend", SPEND, [_amount(row.spend_minor, currency) for row in rows])]
    return options


def trend_chart(points: list, currency: str, granularity: str) -> dict:
    """Counts as bars on the left axis, spend as a line on the right, per week or month."""

    def label(first: date) -> str:
        return first.strftime("%b %Y") if granularity == "month" else f"w/c {first:%d %b}"

    options = _base([label(point.period_start) for point in points])
    options["yAxis"] = [{"type": "value", "name": "count"}, {"type": "value", "name": currency, "splitLine": {"show": False}}]
    options["series"] = [
        _bar("Views", VIEWS, [point.views for point in points]),
        _bar("Activations", ACTIVATIONS, [point.activations for point in points]),
        _bar("Redemptions", REDEMPTIONS, [point.redemptions for point in points]),
        {
            "name": "Spend",
            "type": "line",
            "yAxisIndex": 1,
            "itemStyle": {"color": SPEND},
            "data": [_amount(point.spend_minor, currency) for point in points],
        },
    ]
    return options


def comparison_chart(rows: list) -> dict:
    """Activation and redemption rates (in %) across the compared groups."""

    def percent(value):
        return None if value is None else round(value * 100, 1)

    options = _base([row.label or "(unknown)" for row in rows])
    options["yAxis"].update({"name": "%", "max": 100})
    options["series"] = [
        _bar("Activation rate", ACTIVATIONS, [percent(row.activation_rate) for row in rows]),
        _bar("Redemption rate", REDEMPTIONS, [percent(row.redemption_rate) for row in rows]),
    ]
    return options
