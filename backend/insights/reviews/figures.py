"""The figures thresholds and reviews judge, read through insights' metrics (the roll-ups) and put
in the reviews' units: counts as they are, rates and shares in basis points, computed here from the
counts (integers, so a figure and its threshold compare exactly)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from backend.insights import metrics
from backend.insights.reviews.views import (
    ACTIVATION_RATE,
    DAYS_WITHOUT_REDEMPTION,
    REDEMPTION_RATE,
    SPEND_SHARE,
    Figures,
)


@dataclass(frozen=True)
class PartnerPeriod:
    """One partner's figures over one period of a programme."""

    partner_id: uuid.UUID
    partner_name: str
    currency: str
    figures: Figures


def _ratio_bp(part: int, whole: int) -> int | None:
    return None if not whole else (part * 10_000 + whole // 2) // whole


async def period_figures(programme_id: uuid.UUID, first_day: date, last_day: date) -> dict[uuid.UUID, PartnerPeriod]:
    """Every partner with figures in the programme from ``first_day`` to ``last_day`` (both included)."""
    rows = await metrics.partner_figures(programme_id, first_day, last_day)
    total_spend = sum(row.spend_minor for row in rows)
    return {
        row.partner_id: PartnerPeriod(
            partner_id=row.partner_id,
            partner_name=row.partner_name,
            currency=row.currency,
            figures=Figures(
                views=row.views,
                activations=row.activations,
                redemptions=row.redemptions,
                spend_minor=row.spend_minor,
                activation_bp=_ratio_bp(row.activations, row.views),
                redemption_bp=_ratio_bp(row.redemptions, row.activations),
                spend_share_bp=_ratio_bp(row.spend_minor, total_spend),
                last_redemption_on=row.last_redemption_on,
            ),
        )
        for row in rows
    }


def window(today: date, days: int) -> tuple[date, date]:
    """The last ``days`` days up to today, both included."""
    return today - timedelta(days=days - 1), today


def metric_figure(metric: str, figures: Figures, today: date, lookback_days: int) -> int | None:
    """The figure a threshold on ``metric`` judges, or None when there is nothing to judge."""
    if metric == ACTIVATION_RATE:
        return figures.activation_bp
    if metric == REDEMPTION_RATE:
        return figures.redemption_bp
    if metric == SPEND_SHARE:
        return figures.spend_share_bp
    if metric == DAYS_WITHOUT_REDEMPTION:
        if figures.last_redemption_on is not None:
            return (today - figures.last_redemption_on).days
        # Live in the window (it was seen) but no redemption in all of it: at least that long.
        return lookback_days if figures.views else None
    raise ValueError(metric)
