"""Partner-review queries: a programme's reviews (newest month first), one review whole, open flags."""

from __future__ import annotations

import strawberry

from backend.api.errors import parse_query_id, query_refusals
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.partner_reviews.types import PartnerFlag, PartnerReview, PartnerReviewSummary
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.core.errors import NotFound
from backend.insights.reviews import decisions, flags, reviews


@strawberry.type
class PartnerReviewQueries:
    @strawberry.field(
        extensions=requires(Permission.REPORTS_READ), description="A programme's monthly partner reviews, newest first."
    )
    async def partner_reviews(
        self, info: strawberry.Info, programme_id: strawberry.ID, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[PartnerReviewSummary]:
        actor = info.context.actor
        with query_refusals():
            programme = parse_query_id(programme_id, "programme")

        async def fetch(before_month, limit):
            with query_refusals():
                return await reviews.reviews_before(actor, programme, before_month, limit)

        async def count() -> int:
            with query_refusals():
                return await reviews.count_reviews(actor, programme)

        return await keyset_connection(
            list_name="partner-reviews",
            first=first,
            after=after,
            fetch=fetch,
            count=count,
            key=lambda review: review.month,
            node=PartnerReviewSummary.from_view,
            parse_key=str,
        )

    @strawberry.field(
        extensions=requires(Permission.REPORTS_READ),
        description="One review with every partner's figures against the month before, flags and decisions; null if none.",
    )
    async def partner_review(self, info: strawberry.Info, id: strawberry.ID) -> PartnerReview | None:
        actor = info.context.actor
        with query_refusals():
            review_id = parse_query_id(id, "partner review")
            try:
                review = await reviews.get_review(actor, review_id)
            except NotFound:
                return None
            lines = await reviews.review_lines(actor, review_id)
            decided = await decisions.list_decisions(actor, review_id)
            actions = await reviews.review_actions(actor, review_id)
        return PartnerReview.from_views(review, lines, decided, actions)

    @strawberry.field(
        extensions=requires(Permission.REPORTS_READ),
        description="The programme's partners flagged now (past a threshold), newest first; at most 500.",
    )
    async def partner_flags(self, info: strawberry.Info, programme_id: strawberry.ID) -> list[PartnerFlag]:
        with query_refusals():
            flagged = await flags.open_flags(info.context.actor, parse_query_id(programme_id, "programme"))
        return [PartnerFlag.from_view(flag) for flag in flagged]
