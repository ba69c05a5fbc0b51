"""GraphQL types of partner-performance reviews: thresholds' flags, the monthly reviews (a summary for
lists, the whole review with every partner's figures, flags and decisions), the mutations' inputs
and typed errors. Rates and shares are integers in basis points (20 % is 2000), like the thresholds."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry

from backend.api.catalog.types.shared import MinorUnits
from backend.api.errors import UserError, errors_field, payload_errors
from backend.api.graphql_values import optional_id, values_enum
from backend.api.insight_actions.types import CorrectiveAction
from backend.core.errors import FieldError
from backend.insights.reviews.views import (
    CLOSED,
    METRICS,
    OPEN,
    DecisionView,
    Figures,
    FlagView,
    ReviewLineView,
    ReviewView,
)

PerformanceMetric = values_enum(
    "PerformanceMetric",
    METRICS,
    "What a threshold judges: ACTIVATION_RATE (activations / views), REDEMPTION_RATE (redemptions / activations), "
    "SPEND_SHARE (of the programme's spend), in basis points; DAYS_WITHOUT_REDEMPTION in days.",
)
PartnerReviewStatus = values_enum("PartnerReviewStatus", (OPEN, CLOSED), "A CLOSED review never changes again.")


@strawberry.type(description="A partner past one of its programme's thresholds, since `raisedAt`, until the figure recovers.")
class PartnerFlag:
    id: strawberry.ID
    programme_id: strawberry.ID
    partner_id: strawberry.ID
    partner_name: str
    metric: PerformanceMetric
    figure: int = strawberry.field(description="The latest figure: basis points, or days for DAYS_WITHOUT_REDEMPTION.")
    limit_value: int = strawberry.field(description="The threshold, in the figure's unit.")
    window_days: int
    raised_at: datetime
    description: str = strawberry.field(description='In words, e.g. "Activation rate below 20.0 % over 30 days: 12.5 %".')

    @classmethod
    def from_view(cls, view: FlagView) -> PartnerFlag:
        return cls(
            id=strawberry.ID(str(view.id)),
            programme_id=strawberry.ID(str(view.programme_id)),
            partner_id=strawberry.ID(str(view.partner_id)),
            partner_name=view.partner_name,
            metric=PerformanceMetric(view.metric),
            figure=view.last_figure,
            limit_value=view.limit_value,
            window_days=view.window_days,
            raised_at=view.raised_at,
            description=view.words,
        )


@strawberry.type(description="A partner's figures over a month; rates and share in basis points, null with nothing to divide.")
class PartnerMonthFigures:
    views: int
    activations: int
    redemptions: int
    spend_minor: MinorUnits = strawberry.field(description="Minor units of the review's currency.")
    activation_rate_bp: int | None
    redemption_rate_bp: int | None
    spend_share_bp: int | None

    @classmethod
    def from_view(cls, figures: Figures) -> PartnerMonthFigures:
        return cls(
            views=figures.views,
            activations=figures.activations,
            redemptions=figures.redemptions,
            spend_minor=MinorUnits(figures.spend_minor),
            activation_rate_bp=figures.activation_bp,
            redemption_rate_bp=figures.redemption_bp,
            spend_share_bp=figures.spend_share_bp,
        )


@strawberry.type(description="A flag open on the partner when the review started.")
class PartnerReviewFlag:
    metric: PerformanceMetric
    figure: int
    limit_value: int
    window_days: int
    raised_at: datetime
    description: str


@strawberry.type(description="One partner in a review: the month against the month before, and its flags then.")
class PartnerReviewLine:
    partner_id: strawberry.ID
    partner_name: str
    category: str
    current: PartnerMonthFigures
    previous: PartnerMonthFigures
    last_redemption_on: date | None
    flagged: bool
    flags: list[PartnerReviewFlag]

    @classmethod
    def from_view(cls, line: ReviewLineView) -> PartnerReviewLine:
        return cls(
            partner_id=strawberry.ID(str(line.partner_id)),
            partner_name=line.partner_name,
            category=line.category,
            current=PartnerMonthFigures.from_view(line.current),
            previous=PartnerMonthFigures.from_view(line.previous),
            last_redemption_on=line.current.last_redemption_on,
            flagged=line.flagged,
            flags=[
                PartnerReviewFlag(
                    metric=PerformanceMetric(flag["metric"]),
                    figure=flag["figure"],
                    limit_value=flag["limit_value"],
                    window_days=flag["window_days"],
                    raised_at=datetime.fromisoformat(flag["raised_at"]),
                    description=flag["words"],
                )
                for flag in line.flags
            ],
        )


@strawberry.type(description="A decision recorded on a review while it was open.")
class PartnerReviewDecision:
    id: strawberry.ID
    partner_id: strawberry.ID | None
    kind: str
    note: str
    action_id: strawberry.ID | None = strawberry.field(description="The corrective action taken for it, if one was.")
    decided_by: str
    decided_at: datetime

    @classmethod
    def from_view(cls, view: DecisionView) -> PartnerReviewDecision:
        return cls(
            id=strawberry.ID(str(view.id)),
            partner_id=optional_id(view.partner_id),
            kind=view.kind,
            note=view.note,
            action_id=optional_id(view.action_id),
            decided_by=view.decided_by,
            decided_at=view.decided_at,
        )


def _summary_fields(view: ReviewView) -> dict:
    return {
        "id": strawberry.ID(str(view.id)),
        "programme_id": strawberry.ID(str(view.programme_id)),
        "month": view.month,
        "currency": view.currency,
        "status": PartnerReviewStatus(view.status),
        "partner_count": view.partner_count,
        "flagged_count": view.flagged_count,
        "decision_count": view.decision_count,
        "started_at": view.started_at,
        "started_by": view.started_by,
        "closed_at": view.closed_at,
        "closed_by": view.closed_by,
    }


@strawberry.type(description="A programme's monthly partner review, as a list shows it.")
class PartnerReviewSummary:
    id: strawberry.ID
    programme_id: strawberry.ID
    month: str = strawberry.field(description="The month reviewed, YYYY-MM.")
    currency: str
    status: PartnerReviewStatus
    partner_count: int
    flagged_count: int
    decision_count: int
    started_at: datetime
    started_by: str
    closed_at: datetime | None
    closed_by: str | None

    @classmethod
    def from_view(cls, view: ReviewView) -> PartnerReviewSummary:
        return cls(**_summary_fields(view))


@strawberry.type(description="A monthly partner review with every partner's figures (flagged first), flags and decisions.")
class PartnerReview(PartnerReviewSummary):
    closing_note: str
    lines: list[PartnerReviewLine]
    decisions: list[PartnerReviewDecision]
    actions: list[CorrectiveAction] = strawberry.field(description="The corrective actions taken from this review.")

    @classmethod
    def from_views(
        cls, view: ReviewView, lines: list[ReviewLineView], decisions: list[DecisionView], actions: list
    ) -> PartnerReview:
        return cls(
            **_summary_fields(view),
            closing_note=view.closing_note,
            lines=[PartnerReviewLine.from_view(line) for line in lines],
            decisions=[PartnerReviewDecision.from_view(decision) for decision in decisions],
            actions=[CorrectiveAction.from_view(action) for action in actions],
        )


@strawberry.input(description="Start a programme's review of a month (made once: a second start returns the first).")
class StartPartnerReviewInput:
    programme_id: strawberry.ID
    month: str | None = strawberry.field(default=None, description="YYYY-MM; last month when omitted.")


@strawberry.input(description="Close a review for good: it refuses every change afterwards.")
class ClosePartnerReviewInput:
    review_id: strawberry.ID
    note: str = ""


@strawberry.enum(description="Why a partner-review mutation changed nothing.")
class PartnerReviewErrorCode(enum.Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_MONTH = "INVALID_MONTH"
    MONTH_NOT_STARTED = "MONTH_NOT_STARTED"
    REVIEW_CLOSED = "REVIEW_CLOSED"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    TOO_LONG = "TOO_LONG"


@strawberry.type(description="A reason a partner-review mutation changed nothing.")
class PartnerReviewError(UserError):
    code: PartnerReviewErrorCode


def review_errors(errors: list[FieldError]) -> list[PartnerReviewError]:
    return payload_errors(PartnerReviewError, PartnerReviewErrorCode, errors)


@strawberry.type(description="The month's review, made now or found made.")
class StartPartnerReviewPayload:
    review: PartnerReviewSummary | None = strawberry.field(description="Null when refused.")
    created: bool = strawberry.field(description="False when the month's review existed already.")
    errors: list[PartnerReviewError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> StartPartnerReviewPayload:
        return cls(review=None, created=False, errors=review_errors(errors))


@strawberry.type(description="The review, closed.")
class ClosePartnerReviewPayload:
    review: PartnerReviewSummary | None = strawberry.field(description="Null when refused.")
    errors: list[PartnerReviewError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> ClosePartnerReviewPayload:
        return cls(review=None, errors=review_errors(errors))
