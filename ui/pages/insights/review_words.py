"""How the partner-performance pages say things: figures, metrics, statuses, decisions."""

from __future__ import annotations

from backend.core.money import format_money
from backend.insights.reviews.views import DECISION_KINDS, METRIC_LABELS, Figures
from backend.insights.reviews.views import format_rate as rate

STATUS_COLOURS = {"open": "primary", "closed": "grey-7"}
STATUSES = {"open": "Open", "closed": "Closed"}
DECISIONS = {kind: kind.replace("_", " ").capitalize() for kind in DECISION_KINDS}
METRICS = METRIC_LABELS
FLAGGED_ROW = "bg-red-1"


def against(now: str, then: str) -> str:
    """A figure with last month's beside it: "12.0 % (was 30.0 %)"."""
    return now if now == then else f"{now} (was {then})"


def money(minor: int, currency: str) -> str:
    return format_money(minor, currency)


def figure_cells(now: Figures, then: Figures, currency: str) -> list[str]:
    """Views, activation rate, redemption rate, spend, spend share: this month against the last."""
    return [
        against(f"{now.views:,}", f"{then.views:,}"),
        against(rate(now.activation_bp), rate(then.activation_bp)),
        against(rate(now.redemption_bp), rate(then.redemption_bp)),
        against(money(now.spend_minor, currency), money(then.spend_minor, currency)),
        against(rate(now.spend_share_bp), rate(then.spend_share_bp)),
    ]
