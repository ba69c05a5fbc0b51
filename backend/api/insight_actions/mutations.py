"""Corrective-action mutations: parse the input, call the action's service, render the recorded
action or the refusal (the payload's ``errors``; nothing changed)."""

from __future__ import annotations

import strawberry

from backend.api.insight_actions.types import (
    CorrectiveAction,
    CorrectiveActionPayload,
    CorrectiveRerankInput,
    DecidePartnerReplacementInput,
    PreviewPromotionInput,
    PromotionPreviewPayload,
    RefreshListingInput,
    RequestPartnerReplacementInput,
    SendPromotionInput,
    SetSegmentRoutingInput,
    WithdrawPartnerReplacementInput,
)
from backend.api.partners.ids import entity_id
from backend.api.partners.mutations import answer
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.core.text import check_text
from backend.insights.actions.services import catalogue_actions, promotion, replacement


def _optional(value, entity: str, field: str):
    return None if value is None else entity_id(value, entity, field)


def _payload(view) -> CorrectiveActionPayload:
    return CorrectiveActionPayload(action=CorrectiveAction.from_view(view), errors=[])


async def _send_back(decide, actor, input) -> CorrectiveActionPayload:
    """A pending replacement sent back, by the checker (reject) or the requester (withdraw): the same
    note and id rules, the service ``decide`` does the rest."""

    async def work() -> CorrectiveActionPayload:
        check_text("note", input.note, multiline=True)  # named as the input names it (the service's reason)
        action_id = entity_id(input.action_id, "corrective action", "action_id")
        return _payload(await decide(actor, action_id, input.note or ""))

    return await answer(CorrectiveActionPayload.refused, work)


@strawberry.type
class CorrectiveActionMutations:
    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=CorrectiveActionPayload.refused),
        description="A corrective action: put these offers in this order in the places they hold now (the catalogue's "
        "re-rank), recorded on the partner and review given.",
    )
    async def corrective_rerank_offers(self, info: strawberry.Info, input: CorrectiveRerankInput) -> CorrectiveActionPayload:
        async def work() -> CorrectiveActionPayload:
            offer_ids = [entity_id(value, "offer", "offer_ids") for value in input.offer_ids]
            return _payload(
                await catalogue_actions.rerank(
                    info.context.actor,
                    offer_ids,
                    partner_id=_optional(input.partner_id, "partner", "partner_id"),
                    review_id=input.review_id,
                    note=input.note or "",
                )
            )

        return await answer(CorrectiveActionPayload.refused, work)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=CorrectiveActionPayload.refused),
        description="A corrective action: a new creative and/or a new terms version for an offer.",
    )
    async def refresh_listing(self, info: strawberry.Info, input: RefreshListingInput) -> CorrectiveActionPayload:
        async def work() -> CorrectiveActionPayload:
            return _payload(
                await catalogue_actions.refresh(
                    info.context.actor,
                    entity_id(input.offer_id, "offer", "offer_id"),
                    title=input.title,
                    description=input.description,
                    image_url=input.image_url,
                    terms=input.terms,
                    review_id=input.review_id,
                    note=input.note or "",
                )
            )

        return await answer(CorrectiveActionPayload.refused, work)

    @strawberry.mutation(
        extensions=requires(Permission.DELIVERIES_WRITE, refusal=PromotionPreviewPayload.refused),
        description="How many active recipients a segment holds: the count to pass to sendPromotion. Changes nothing.",
    )
    async def preview_promotion(self, info: strawberry.Info, input: PreviewPromotionInput) -> PromotionPreviewPayload:
        async def work() -> PromotionPreviewPayload:
            preview = await promotion.preview_promotion(info.context.actor, input.segment_rule)
            return PromotionPreviewPayload(
                segment_rule=preview.segment_rule, recipients=preview.recipients, total=preview.total, errors=[]
            )

        return await answer(PromotionPreviewPayload.refused, work)

    @strawberry.mutation(
        extensions=requires(Permission.DELIVERIES_WRITE, refusal=CorrectiveActionPayload.refused),
        description="A corrective action: a promotional message to a segment's active recipients, sent by the worker "
        "through the programme's delivery channels; the action's `announcementId` tracks it.",
    )
    async def send_promotion(self, info: strawberry.Info, input: SendPromotionInput) -> CorrectiveActionPayload:
        async def work() -> CorrectiveActionPayload:
            return _payload(
                await promotion.send_promotion(
                    info.context.actor,
                    entity_id(input.programme_id, "programme", "programme_id"),
                    input.segment_rule,
                    input.subject,
                    input.text,
                    expected_recipients=input.expected_recipients,  # none: no preview, the segment as it is now
                    offer_id=_optional(input.offer_id, "offer", "offer_id"),
                    partner_id=_optional(input.partner_id, "partner", "partner_id"),
                    review_id=input.review_id,
                )
            )

        return await answer(CorrectiveActionPayload.refused, work)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=CorrectiveActionPayload.refused),
        description="Maker's step of replacing a partner: the plan is checked now and waits (PENDING) for someone else "
        "to approve it.",
    )
    async def request_partner_replacement(
        self, info: strawberry.Info, input: RequestPartnerReplacementInput
    ) -> CorrectiveActionPayload:
        async def work() -> CorrectiveActionPayload:
            offer_map = {
                entity_id(item.offer_id, "offer", "offers"): entity_id(item.replacement_offer_id, "offer", "offers")
                for item in input.offers
            }
            return _payload(
                await replacement.request_replacement(
                    info.context.actor,
                    entity_id(input.partner_id, "partner", "partner_id"),
                    entity_id(input.replacement_partner_id, "partner", "replacement_partner_id"),
                    offer_map,
                    note=input.note or "",
                    review_id=input.review_id,
                )
            )

        return await answer(CorrectiveActionPayload.refused, work)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=CorrectiveActionPayload.refused),
        description="Checker's step: in one transaction the replacement offers take the old offers' ranking positions, "
        "segment routes and places in every campaign not ended, and the old offers are retired. Not by the requester "
        "(SELF_APPROVAL).",
    )
    async def approve_partner_replacement(
        self, info: strawberry.Info, input: DecidePartnerReplacementInput
    ) -> CorrectiveActionPayload:
        async def work() -> CorrectiveActionPayload:
            action_id = entity_id(input.action_id, "corrective action", "action_id")
            return _payload(await replacement.approve_replacement(info.context.actor, action_id, input.note or ""))

        return await answer(CorrectiveActionPayload.refused, work)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=CorrectiveActionPayload.refused),
        description="Checker's step: send the replacement back with a reason (`note`); nothing else changes.",
    )
    async def reject_partner_replacement(
        self, info: strawberry.Info, input: DecidePartnerReplacementInput
    ) -> CorrectiveActionPayload:
        return await _send_back(replacement.reject_replacement, info.context.actor, input)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=CorrectiveActionPayload.refused),
        description="Maker's step back: the requester (the same key or admin) withdraws a pending replacement, which "
        "ends REJECTED with nothing else changed; anyone else is refused (NOT_REQUESTER) and rejects it instead.",
    )
    async def withdraw_partner_replacement(
        self, info: strawberry.Info, input: WithdrawPartnerReplacementInput
    ) -> CorrectiveActionPayload:
        return await _send_back(replacement.withdraw_replacement, info.context.actor, input)

    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=CorrectiveActionPayload.refused),
        description="A corrective action: surface offers to a segment (adjustment > 0) or push them down (< 0) in that "
        "segment's catalogue (`offers(filter: {eligibleFor})`); 0 removes the routing.",
    )
    async def set_segment_routing(self, info: strawberry.Info, input: SetSegmentRoutingInput) -> CorrectiveActionPayload:
        async def work() -> CorrectiveActionPayload:
            return _payload(
                await catalogue_actions.set_segment_routing(
                    info.context.actor,
                    [entity_id(value, "offer", "offer_ids") for value in input.offer_ids],
                    input.segment_rule,
                    input.adjustment,
                    partner_id=_optional(input.partner_id, "partner", "partner_id"),
                    review_id=input.review_id,
                    note=input.note or "",
                )
            )

        return await answer(CorrectiveActionPayload.refused, work)
