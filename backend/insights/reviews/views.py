"""What the reviews domain shows: its metrics, statuses, events, and the views its services return."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

ACTIVATION_RATE = "activation_rate"  # activations / views
REDEMPTION_RATE = "redemption_rate"  # redemptions / activations
SPEND_SHARE = "spend_share"  # the partner's spend / the programme's
DAYS_WITHOUT_REDEMPTION = "days_without_redemption"
METRICS = (ACTIVATION_RATE, REDEMPTION_RATE, SPEND_SHARE, DAYS_WITHOUT_REDEMPTION)
# Rates and shares are flagged below their limit, in basis points; days above theirs.
RATIO_METRICS = (ACTIVATION_RATE, REDEMPTION_RATE, SPEND_SHARE)
METRIC_LABELS = {
    ACTIVATION_RATE: "Activation rate",
    REDEMPTION_RATE: "Redemption rate",
    SPEND_SHARE: "Spend share",
    DAYS_WITHOUT_REDEMPTION: "Days without a redemption",
}

OPEN, CLOSED = "open", "closed"
SENT, FAILED = "sent", "failed"

# Outbox topics: a flag raised (webhooks' partner.flagged), a review started (its report mailed).
PARTNER_FLAGGED = "partner.flagged"
REVIEW_STARTED = "partner_review.started"
# For insights' roll-up step to write when it changed partners' cells ({programme_id, partner_ids}):
# their flags are then judged at once, not at the next minute's sweep.
ROLLUPS_CHANGED = "insights.rollups_changed"

DECISION_KINDS = ("keep", "watch", "re_rank", "refresh_listing", "promo_push", "replace_partner", "segment_routing", "other")


def format_figure(metric: str, figure: int | None) -> str:
    """A figure in its unit, as people read it: "14.5 %" or "42 days"."""
    if figure is None:
        return "—"
    if metric == DAYS_WITHOUT_REDEMPTION:
        return f"{figure} day" + ("" if figure == 1 else "s")
    return f"{figure / 100:.1f} %"


def format_rate(basis_points: int | None) -> str:
    """A rate or share in basis points as a percentage: 1250 → "12.5 %"."""
    return format_figure(ACTIVATION_RATE, basis_points)


def breaches(metric: str, figure: int, limit_value: int) -> bool:
    return figure > limit_value if metric == DAYS_WITHOUT_REDEMPTION else figure < limit_value


def threshold_words(metric: str, limit_value: int, window_days: int) -> str:
    """ "Activation rate below 20.0 % over 30 days"."""
    if metric == DAYS_WITHOUT_REDEMPTION:
        return f"More than {format_figure(metric, limit_value)} without a redemption"
    return f"{METRIC_LABELS[metric]} below {format_figure(metric, limit_value)} over {window_days} days"


@dataclass(frozen=True)
class ThresholdView:
    id: uuid.UUID
    programme_id: uuid.UUID
    category: str | None
    metric: str
    limit_value: int
    window_days: int
    min_views: int
    updated_at: datetime
    updated_by: str

    @property
    def words(self) -> str:
        scope = f" ({self.category})" if self.category else ""
        return threshold_words(self.metric, self.limit_value, self.window_days) + scope


@dataclass(frozen=True)
class FlagView:
    id: uuid.UUID
    programme_id: uuid.UUID
    partner_id: uuid.UUID
    partner_name: str
    threshold_id: uuid.UUID
    metric: str
    category: str | None
    figure: int
    last_figure: int
    limit_value: int
    window_days: int
    raised_at: datetime
    cleared_at: datetime | None

    @property
    def words(self) -> str:
        return (
            f"{threshold_words(self.metric, self.limit_value, self.window_days)}: {format_figure(self.metric, self.last_figure)}"
        )


@dataclass(frozen=True)
class Figures:
    """One partner's figures over a period, rates and share in basis points (None: nothing to divide)."""

    views: int = 0
    activations: int = 0
    redemptions: int = 0
    spend_minor: int = 0
    activation_bp: int | None = None
    redemption_bp: int | None = None
    spend_share_bp: int | None = None
    last_redemption_on: date | None = None


@dataclass(frozen=True)
class ReviewLineView:
    partner_id: uuid.UUID
    partner_name: str
    category: str
    current: Figures
    previous: Figures
    flags: list[dict] = field(default_factory=list)  # {metric, figure, limit_value, window_days, raised_at}

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class DecisionView:
    id: uuid.UUID
    review_id: uuid.UUID
    partner_id: uuid.UUID | None
    kind: str
    note: str
    action_id: uuid.UUID | None
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class ReviewView:
    id: uuid.UUID
    programme_id: uuid.UUID
    month: str
    currency: str
    status: str
    partner_count: int
    flagged_count: int
    decision_count: int
    started_at: datetime
    started_by: str
    closed_at: datetime | None
    closed_by: str | None
    closing_note: str

    @property
    def is_closed(self) -> bool:
        return self.status == CLOSED


@dataclass(frozen=True)
class MailingView:
    email: str
    status: str
    provider: str
    error_text: str | None
    sent_at: datetime
