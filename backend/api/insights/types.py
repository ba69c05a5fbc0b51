"""GraphQL types of partner performance: figures over a period, per partner, offer or period."""

from __future__ import annotations

import enum
from datetime import date

import strawberry

from backend.api.catalog.types.shared import MinorUnits
from backend.insights import metrics
from backend.insights.segments import Segment


@strawberry.input(description="Segment filters on the recipient as they were at each event; a field left out matches anyone.")
class SegmentInput:
    country: str | None = strawberry.field(default=None, description="ISO 3166 alpha-2, e.g. IN.")
    business_unit: str | None = None
    department: str | None = None
    grade: str | None = strawberry.field(default=None, description='As text: grade 5 is "5".')
    location: str | None = None

    def to_domain(self) -> Segment:
        return Segment(
            country=self.country.upper() if self.country else None,
            business_unit=self.business_unit,
            department=self.department,
            grade=self.grade,
            location=self.location,
        )


@strawberry.enum(description="Periods of a trend: WEEK (from Monday) or MONTH.")
class TrendGranularity(enum.Enum):
    WEEK = "week"
    MONTH = "month"


_RATES = "Null when nothing was there to convert (no views, or no activations)."


@strawberry.type(description="A partner's funnel and spend over a period: views → activations → redemptions. " + _RATES)
class PartnerMetrics:
    partner_id: strawberry.ID
    partner_name: str
    views: int
    activations: int
    redemptions: int
    spend_minor: MinorUnits = strawberry.field(description="Redeemed value in the programme's currency, minor units.")
    currency: str
    activation_rate: float | None = strawberry.field(description="activations / views, 0 to 1.")
    redemption_rate: float | None = strawberry.field(description="redemptions / activations, 0 to 1.")
    spend_share: float | None = strawberry.field(description="This partner's share of the programme's spend, 0 to 1.")
    last_redemption_on: date | None = strawberry.field(description="The last day with a redemption, up to the period's end.")

    @classmethod
    def from_view(cls, view: metrics.PartnerFigures) -> PartnerMetrics:
        return cls(
            partner_id=strawberry.ID(str(view.partner_id)), partner_name=view.partner_name, views=view.views,
            activations=view.activations, redemptions=view.redemptions, spend_minor=MinorUnits(view.spend_minor),
            currency=view.currency, activation_rate=view.activation_rate, redemption_rate=view.redemption_rate,
            spend_share=view.spend_share, last_redemption_on=view.last_redemption_on,
        )  # fmt: skip


@strawberry.type(description="One offer's funnel and spend over a period (a partner's drill-down). " + _RATES)
class OfferMetrics:
    offer_id: strawberry.ID
    offer_title: str
    category: str
    partner_id: strawberry.ID
    views: int
    activations: int
    redemptions: int
    spend_minor: MinorUnits
    currency: str
    activation_rate: float | None
    redemption_rate: float | None
    spend_share: float | None = strawberry.field(description="This offer's share of its partner's spend, 0 to 1.")
    last_redemption_on: date | None

    @classmethod
    def from_view(cls, view: metrics.OfferFigures) -> OfferMetrics:
        return cls(
            offer_id=strawberry.ID(str(view.offer_id)), offer_title=view.offer_title, category=view.category,
            partner_id=strawberry.ID(str(view.partner_id)), views=view.views, activations=view.activations,
            redemptions=view.redemptions, spend_minor=MinorUnits(view.spend_minor), currency=view.currency,
            activation_rate=view.activation_rate, redemption_rate=view.redemption_rate, spend_share=view.spend_share,
            last_redemption_on=view.last_redemption_on,
        )  # fmt: skip


@strawberry.type(description="The figures of one week or month of a trend. " + _RATES)
class MetricsTrendPoint:
    period_start: date = strawberry.field(description="The Monday of the week, or the 1st of the month.")
    views: int
    activations: int
    redemptions: int
    spend_minor: MinorUnits
    currency: str
    activation_rate: float | None
    redemption_rate: float | None

    @classmethod
    def from_view(cls, view: metrics.TrendPoint) -> MetricsTrendPoint:
        return cls(
            period_start=view.period_start, views=view.views, activations=view.activations, redemptions=view.redemptions,
            spend_minor=MinorUnits(view.spend_minor), currency=view.currency, activation_rate=view.activation_rate,
            redemption_rate=view.redemption_rate,
        )  # fmt: skip
