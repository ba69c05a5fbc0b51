"""Partner-review mutations: start a month's review (made once) and close one (for good)."""

from __future__ import annotations

import strawberry

from backend.api.partner_reviews.types import (
    ClosePartnerReviewInput,
    ClosePartnerReviewPayload,
    PartnerReviewSummary,
    StartPartnerReviewInput,
    StartPartnerReviewPayload,
)
from backend.api.partners.ids import entity_id
from backend.api.partners.mutations import answer
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.insights.reviews import reviews


@strawberry.type
class PartnerReviewMutations:
    @strawberry.mutation(
        extensions=requires(Permission.REPORTS_WRITE, refusal=StartPartnerReviewPayload.refused),
        description="Start a programme's review of a month (default: last month); exactly once per programme and month. "
        "The report (PDF and CSV) is then emailed to the programme's admins.",
    )
    async def start_partner_review(self, info: strawberry.Info, input: StartPartnerReviewInput) -> StartPartnerReviewPayload:
        async def start() -> StartPartnerReviewPayload:
            programme_id = entity_id(input.programme_id, "programme", "programme_id")
            started = await reviews.start_review(info.context.actor, programme_id, input.month)
            return StartPartnerReviewPayload(
                review=PartnerReviewSummary.from_view(started.review), created=started.created, errors=[]
            )

        return await answer(StartPartnerReviewPayload.refused, start)

    @strawberry.mutation(
        extensions=requires(Permission.REPORTS_WRITE, refusal=ClosePartnerReviewPayload.refused),
        description="Close a review for good. REVIEW_CLOSED if it is closed already.",
    )
    async def close_partner_review(self, info: strawberry.Info, input: ClosePartnerReviewInput) -> ClosePartnerReviewPayload:
        async def close() -> ClosePartnerReviewPayload:
            review_id = entity_id(input.review_id, "partner review", "review_id")
            closed = await reviews.close_review(info.context.actor, review_id, input.note)
            return ClosePartnerReviewPayload(review=PartnerReviewSummary.from_view(closed), errors=[])

        return await answer(ClosePartnerReviewPayload.refused, close)
