"""resendReward: an integrator's (or a support tool's) way to send a reward's delivery again once
its cause is fixed. Parse the input, call the resending service, render its result."""

from __future__ import annotations

import uuid

import strawberry

from backend.api.deliveries.loaders import deliveries_by_id
from backend.api.deliveries.types import Delivery, ResendRewardInput, ResendRewardPayload
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.core.errors import DomainError, NotFound
from backend.deliveries.services import resending


@strawberry.type
class DeliveryMutations:
    @strawberry.mutation(
        extensions=requires(Permission.DELIVERIES_WRITE, refusal=ResendRewardPayload.refused),
        description="Send a reward's delivery again, due now, its attempt history kept: on another `channel` and/or to a "
        "corrected `contact` (saved on the recipient too, validated as any recipient record). Refused with a code: "
        "DELIVERY_IN_FLIGHT (a worker is sending it now: try again shortly), ALREADY_SENT (a provider accepted it), "
        "REWARD_VOIDED, REWARD_EXPIRED, MISSING_CONTACT, INVALID_EMAIL / INVALID_PHONE (field contact), NOT_FOUND. "
        "A retry with the same idempotencyKey returns the first result (`replayed`).",
    )
    async def resend_reward(self, info: strawberry.Info, input: ResendRewardInput) -> ResendRewardPayload:
        try:
            try:  # a malformed id names no reward: NOT_FOUND, as for an unknown one
                reward_id = uuid.UUID(str(input.reward_id))
            except ValueError:
                raise NotFound("reward", input.reward_id, field="reward_id") from None
            outcome = await resending.resend_reward(
                info.context.actor,
                reward_id,
                channel=input.channel,
                contact=input.contact,
                idempotency_key=input.idempotency_key,
            )
        except DomainError as refusal:
            return ResendRewardPayload.refused(refusal.errors)
        view = await info.context.loader(deliveries_by_id).load(outcome.resent.delivery_id)
        return ResendRewardPayload(delivery=Delivery.from_view(view), replayed=outcome.replayed, errors=[])
