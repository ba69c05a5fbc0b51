"""GraphQL types of deliveries: a delivery with its attempts, the list's filter, and resendReward's
input, payload and error codes (the resending service's codes, listed once here)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry

from backend.api.deliveries.loaders import attempts_by_delivery
from backend.api.errors import UserError, parse_query_id, payload_errors
from backend.api.graphql_values import optional_id
from backend.core.authz import Permission
from backend.core.errors import FieldError
from backend.core.idempotency import IDEMPOTENCY_CONFLICT, IDEMPOTENCY_KEY_INVALID
from backend.core.text import INVALID_CHARACTERS, TOO_LONG
from backend.deliveries.services import resending
from backend.deliveries.services.listing import DeliveryFilter
from backend.deliveries.views import MISSING_CONTACT, AttemptView, DeliveryView

_CODES = (
    "FORBIDDEN",
    resending.NOT_FOUND,
    resending.DELIVERY_IN_FLIGHT,
    resending.ALREADY_SENT,
    resending.REWARD_VOIDED,
    resending.REWARD_EXPIRED,
    MISSING_CONTACT,
    "INVALID_CHANNEL",
    "INVALID_EMAIL",
    "INVALID_PHONE",
    "REQUIRED",
    INVALID_CHARACTERS,
    TOO_LONG,
    IDEMPOTENCY_CONFLICT,
    IDEMPOTENCY_KEY_INVALID,
    "INVALID",
)
DeliveryErrorCode = strawberry.enum(
    enum.Enum("DeliveryErrorCode", {code: code for code in _CODES}),
    name="DeliveryErrorCode",
    description="Why a delivery was not resent (nothing changed).",
)


@strawberry.type(description="One attempt at sending a delivery, through one provider.")
class DeliveryAttempt:
    number: int
    channel: str
    provider: str
    provider_role: str = strawberry.field(description="primary, or failover.")
    provider_message_id: str | None
    status: str = strawberry.field(description="sent (accepted by the provider), transient or permanent (a failure).")
    error_code: str | None
    error_text: str | None
    latency_ms: int
    started_at: datetime
    retry_at: datetime | None = strawberry.field(description="The retry this failure scheduled, if any.")

    @classmethod
    def from_view(cls, view: AttemptView) -> DeliveryAttempt:
        return cls(
            number=view.number,
            channel=view.channel,
            provider=view.provider,
            provider_role=view.provider_role,
            provider_message_id=view.provider_message_id,
            status=view.status,
            error_code=view.error_code,
            error_text=view.error_text,
            latency_ms=view.latency_ms,
            started_at=view.started_at,
            retry_at=view.retry_at,
        )


@strawberry.type(description="How one issued reward reaches its recipient.")
class Delivery:
    id: strawberry.ID
    reward_id: strawberry.ID
    recipient_id: strawberry.ID
    programme_id: strawberry.ID
    campaign_id: strawberry.ID
    upload_id: strawberry.ID | None = strawberry.field(description="The bulk upload that issued the reward, if one did.")
    channel: str = strawberry.field(description="email, sms or whatsapp.")
    language: str
    status: str = strawberry.field(
        description="pending (due at nextAttemptAt), sending, sent (accepted by the provider), delivered (confirmed by "
        "it), or failed (failureCode and failureReason say why; resendReward once it is fixed)."
    )
    attempt_count: int
    provider_role: str
    next_attempt_at: datetime | None
    provider: str | None = strawberry.field(description="The provider that sent it.")
    provider_message_id: str | None
    failure_code: str | None
    failure_reason: str | None = strawberry.field(description="In words, for a person.")
    issued_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    _contact: strawberry.Private[str | None]

    @strawberry.field(
        description="The address it goes to (an email address or an E.164 number); null without the recipients:read scope."
    )
    def contact(self, info: strawberry.Info) -> str | None:
        actor = info.context.actor
        return self._contact if actor is not None and actor.can(Permission.RECIPIENTS_READ) else None

    @strawberry.field(description="Every attempt, in order (one query for all the deliveries of a response).")
    async def attempts(self, info: strawberry.Info) -> list[DeliveryAttempt]:
        views = await info.context.loader(attempts_by_delivery).load(uuid.UUID(str(self.id)))
        return [DeliveryAttempt.from_view(view) for view in views]

    @classmethod
    def from_view(cls, view: DeliveryView) -> Delivery:
        return cls(
            id=optional_id(view.id),
            reward_id=optional_id(view.issuance_id),
            recipient_id=optional_id(view.recipient_id),
            programme_id=optional_id(view.programme_id),
            campaign_id=optional_id(view.campaign_id),
            upload_id=optional_id(view.upload_id),
            channel=view.channel,
            language=view.language,
            status=view.status,
            attempt_count=view.attempts,
            provider_role=view.provider_role,
            next_attempt_at=view.next_attempt_at,
            provider=view.provider,
            provider_message_id=view.provider_message_id,
            failure_code=view.failure_code,
            failure_reason=view.failure_reason,
            issued_at=view.issued_at,
            created_at=view.created_at,
            sent_at=view.sent_at,
            _contact=view.contact,
        )


@strawberry.input(description="Which deliveries; every field optional. The list is failed first, then newest.")
class DeliveryFilterInput:
    status: str | None = strawberry.field(default=None, description="pending, sending, sent, delivered or failed.")
    failure_code: str | None = strawberry.field(default=None, description="e.g. INVALID_NUMBER, HARD_BOUNCE, MISSING_CONTACT.")
    failure_reason: str | None = strawberry.field(default=None, description="A part of the failure reason, any case.")
    channel: str | None = None
    provider: str | None = strawberry.field(default=None, description="A provider that made any attempt of it.")
    campaign_id: strawberry.ID | None = None
    upload_id: strawberry.ID | None = None
    programme_id: strawberry.ID | None = None
    recipient_id: strawberry.ID | None = None
    issued_after: datetime | None = strawberry.field(default=None, description="The reward's issue time, included.")
    issued_before: datetime | None = strawberry.field(default=None, description="The reward's issue time, excluded.")

    def to_domain(self) -> DeliveryFilter:
        return DeliveryFilter(
            status=self.status,
            failure_code=self.failure_code,
            failure_reason=self.failure_reason,
            channel=self.channel,
            provider=self.provider,
            campaign_id=parse_query_id(self.campaign_id, "campaign"),
            upload_id=parse_query_id(self.upload_id, "upload"),
            programme_id=parse_query_id(self.programme_id, "programme"),
            recipient_id=parse_query_id(self.recipient_id, "recipient"),
            issued_after=self.issued_after,
            issued_before=self.issued_before,
        )


@strawberry.input(
    description="Send a reward's delivery again: after a failure, once the cause is fixed. Optionally on another "
    "channel and/or to a corrected contact, which is saved on the recipient too."
)
class ResendRewardInput:
    reward_id: strawberry.ID
    idempotency_key: str = strawberry.field(description="Unique per resend (≤ 200 characters): a retry returns the first result.")
    channel: str | None = strawberry.field(default=None, description="email, sms or whatsapp; default the delivery's.")
    contact: str | None = strawberry.field(
        default=None,
        description="A corrected email address or phone number for that channel (a number without +country is read in "
        "the recipient's country).",
    )


@strawberry.type(description="A reason a delivery was not resent.")
class DeliveryError(UserError):
    code: DeliveryErrorCode


def delivery_errors(errors: list[FieldError]) -> list[DeliveryError]:
    return payload_errors(DeliveryError, DeliveryErrorCode, errors)


@strawberry.type(description="The delivery, back to pending and due now; or the errors, and nothing changed.")
class ResendRewardPayload:
    delivery: Delivery | None
    replayed: bool = strawberry.field(description="True when this idempotency key was used before: the first result again.")
    errors: list[DeliveryError] = strawberry.field(description="Empty on success. Any error means nothing changed.")

    @classmethod
    def refused(cls, errors: list[FieldError]) -> ResendRewardPayload:
        return cls(delivery=None, replayed=False, errors=delivery_errors(errors))
