"""Partner performance queries (scope reports:read): partners' figures over a period and segment,
one partner's offers, and the trend by week or month. Read from the daily roll-ups."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from backend.api.errors import parse_query_id, query_refusals
from backend.api.insights.types import MetricsTrendPoint, OfferMetrics, PartnerMetrics, SegmentInput, TrendGranularity
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.insights import metrics

From = Annotated[date, strawberry.argument(name="from", description="First day (UTC), included.")]
To = Annotated[date, strawberry.argument(description="Last day (UTC), included; at most about three years after `from`.")]


def _segment(segment: SegmentInput | None):
    return segment.to_domain() if segment is not None else None


@strawberry.type
class InsightQueries:
    @strawberry.field(
        extensions=requires(Permission.REPORTS_READ),
        description="Every partner's funnel (views → activations → redemptions) and spend in a programme over a "
        "period, optionally for one segment; highest spend first.",
    )
    async def partner_metrics(
        self, programme_id: strawberry.ID, from_: From, to: To, segment: SegmentInput | None = None
    ) -> list[PartnerMetrics]:
        with query_refusals():
            rows = await metrics.partner_figures(parse_query_id(programme_id, "programme"), from_, to, _segment(segment))
        return [PartnerMetrics.from_view(row) for row in rows]

    @strawberry.field(
        extensions=requires(Permission.REPORTS_READ),
        description="One partner's offers in a programme over a period (the drill-down); highest spend first.",
    )
    async def offer_metrics(
        self, programme_id: strawberry.ID, partner_id: strawberry.ID, from_: From, to: To, segment: SegmentInput | None = None
    ) -> list[OfferMetrics]:
        with query_refusals():
            rows = await metrics.offer_figures(
                parse_query_id(programme_id, "programme"), parse_query_id(partner_id, "partner"), from_, to, _segment(segment)
            )
        return [OfferMetrics.from_view(row) for row in rows]

    @strawberry.field(
        extensions=requires(Permission.REPORTS_READ),
        description="A programme's figures (or one partner's) per week or month over a period, oldest first; "
        "periods without any event are left out.",
    )
    async def metrics_trend(
        self,
        programme_id: strawberry.ID,
        from_: From,
        to: To,
        granularity: TrendGranularity = TrendGranularity.WEEK,
        segment: SegmentInput | None = None,
        partner_id: strawberry.ID | None = None,
    ) -> list[MetricsTrendPoint]:
        with query_refusals():
            rows = await metrics.trend(
                parse_query_id(programme_id, "programme"), from_, to, granularity.value, _segment(segment),
                parse_query_id(partner_id, "partner"),
            )  # fmt: skip
        return [MetricsTrendPoint.from_view(row) for row in rows]
