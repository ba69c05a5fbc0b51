"""Corrective-action types: the action record, the inputs of each action, and their payloads with
``errors`` (codes in ``CorrectiveActionErrorCode``; an error means nothing changed)."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from backend.api.errors import UserError, errors_field, payload_errors
from backend.api.graphql_values import optional_id, values_enum
from backend.core.errors import FieldError
from backend.insights.actions.views import KINDS, STATUSES, ActionView

CorrectiveActionKind = values_enum("CorrectiveActionKind", KINDS, "What the action did.")
CorrectiveActionStatus = values_enum(
    "CorrectiveActionStatus",
    STATUSES,
    "DONE for actions taken at once; a partner replacement is PENDING until a second person APPROVES or REJECTS it.",
)


@strawberry.type(description="A corrective action: who asked, when, what, before and after, and the review it belongs to.")
class CorrectiveAction:
    id: strawberry.ID
    kind: CorrectiveActionKind
    status: CorrectiveActionStatus
    partner_id: strawberry.ID | None
    review_id: strawberry.ID | None = strawberry.field(description="The monthly review it was decided in, if any.")
    summary: str
    request: JSON = strawberry.field(description="What was asked (the offers, the segment, the replacement plan…).")
    before: JSON | None
    after: JSON | None
    announcement_id: strawberry.ID | None = strawberry.field(description="A promotional push's announcement (its progress).")
    requested_by: str
    requested_at: datetime
    decided_by: str = strawberry.field(description="Empty unless a replacement was decided.")
    decided_at: datetime | None
    decision_note: str

    @classmethod
    def from_view(cls, view: ActionView) -> CorrectiveAction:
        return cls(
            id=optional_id(view.id),
            kind=CorrectiveActionKind(view.kind),
            status=CorrectiveActionStatus(view.status),
            partner_id=optional_id(view.partner_id),
            review_id=optional_id(view.review_id),
            summary=view.summary,
            request=view.request,
            before=view.before,
            after=view.after,
            announcement_id=optional_id(view.announcement_id),
            requested_by=view.requested_by_label,
            requested_at=view.requested_at,
            decided_by=view.decided_by_label,
            decided_at=view.decided_at,
            decision_note=view.decision_note,
        )


@strawberry.input(description="Put these offers in this order, in the places they hold now.")
class CorrectiveRerankInput:
    offer_ids: list[strawberry.ID]
    partner_id: strawberry.ID | None = None
    review_id: strawberry.ID | None = None
    note: str | None = None


@strawberry.input(description="A new creative (any of title, description, imageUrl) and/or a new terms version for an offer.")
class RefreshListingInput:
    offer_id: strawberry.ID
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    terms: str | None = None
    review_id: strawberry.ID | None = None
    note: str | None = None


@strawberry.input(description='A segment of recipients: an eligibility rule, e.g. `business_unit == "Retail"`.')
class PreviewPromotionInput:
    segment_rule: str


@strawberry.input(
    description="A promotional message to the segment's active recipients, through the programme's delivery channels. "
    "`text` (and `subject`, for email) may use {{ recipient_name }}, and {{ offer_name }} / {{ partner_name }} of `offerId`."
)
class SendPromotionInput:
    programme_id: strawberry.ID
    segment_rule: str
    subject: str
    text: str
    expected_recipients: int | None = strawberry.field(
        default=None, description="The count previewPromotion gave: refused (RECIPIENTS_CHANGED) if the segment moved since."
    )
    offer_id: strawberry.ID | None = None
    partner_id: strawberry.ID | None = None
    review_id: strawberry.ID | None = None


@strawberry.input(description="An old offer and the offer that replaces it.")
class OfferReplacementInput:
    offer_id: strawberry.ID
    replacement_offer_id: strawberry.ID


@strawberry.input(description="Replace a partner by a live one: a replacement for each of its offers that are not retired.")
class RequestPartnerReplacementInput:
    partner_id: strawberry.ID
    replacement_partner_id: strawberry.ID
    offers: list[OfferReplacementInput]
    note: str | None = None
    review_id: strawberry.ID | None = None


@strawberry.input(description="A decision on a pending partner replacement, by someone other than its requester.")
class DecidePartnerReplacementInput:
    action_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="Required (the reason) to reject.")


@strawberry.input(description="Its requester takes a pending partner replacement back; a second admin rejects it instead.")
class WithdrawPartnerReplacementInput:
    action_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="Why, if you wish (kept as the decision note).")


@strawberry.input(description="Offers surfaced to (adjustment > 0) or pushed down for (< 0) a segment; 0 removes the routing.")
class SetSegmentRoutingInput:
    offer_ids: list[strawberry.ID]
    segment_rule: str
    adjustment: int = strawberry.field(description="-100 to 100.")
    partner_id: strawberry.ID | None = None
    review_id: strawberry.ID | None = None
    note: str | None = None


@strawberry.enum(description="Why a corrective action changed nothing.")
class CorrectiveActionErrorCode(enum.Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    INVALID_REVIEW_ID = "INVALID_REVIEW_ID"
    INVALID_KIND = "INVALID_KIND"
    INVALID_STATUS = "INVALID_STATUS"
    INVALID_RULE = "INVALID_RULE"
    INVALID_ADJUSTMENT = "INVALID_ADJUSTMENT"
    INVALID_IMAGE_URL = "INVALID_IMAGE_URL"
    DUPLICATE_OFFER = "DUPLICATE_OFFER"
    NOTHING_TO_CHANGE = "NOTHING_TO_CHANGE"
    OFFER_RETIRED = "OFFER_RETIRED"
    OFFER_NOT_FOUND = "OFFER_NOT_FOUND"
    TERMS_CHANGED_MEANWHILE = "TERMS_CHANGED_MEANWHILE"
    RECIPIENTS_CHANGED = "RECIPIENTS_CHANGED"
    NO_RECIPIENTS = "NO_RECIPIENTS"
    UNKNOWN_VARIABLE = "UNKNOWN_VARIABLE"
    TEMPLATE_SYNTAX = "TEMPLATE_SYNTAX"
    TEMPLATE_ERROR = "TEMPLATE_ERROR"
    PERSON_REQUIRED = "PERSON_REQUIRED"
    SAME_PARTNER = "SAME_PARTNER"
    PARTNER_NOT_LIVE = "PARTNER_NOT_LIVE"
    OFFERS_UNMAPPED = "OFFERS_UNMAPPED"
    NOT_THE_PARTNERS_OFFER = "NOT_THE_PARTNERS_OFFER"
    REPLACEMENT_NOT_LIVE = "REPLACEMENT_NOT_LIVE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    REPLACEMENT_ALREADY_REQUESTED = "REPLACEMENT_ALREADY_REQUESTED"
    NO_PENDING_REPLACEMENT = "NO_PENDING_REPLACEMENT"
    SELF_APPROVAL = "SELF_APPROVAL"
    NOT_REQUESTER = "NOT_REQUESTER"
    REASON_REQUIRED = "REASON_REQUIRED"
    REFERENCES_LEFT = "REFERENCES_LEFT"


@strawberry.type
class CorrectiveActionError(UserError):
    code: CorrectiveActionErrorCode


def action_errors(errors: list[FieldError]) -> list[CorrectiveActionError]:
    return payload_errors(CorrectiveActionError, CorrectiveActionErrorCode, errors)


@strawberry.type(description="The action as recorded; null when refused.")
class CorrectiveActionPayload:
    action: CorrectiveAction | None
    errors: list[CorrectiveActionError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> CorrectiveActionPayload:
        return cls(action=None, errors=action_errors(errors))


@strawberry.type(description="How many active recipients the segment holds: the messages sendPromotion would send.")
class PromotionPreviewPayload:
    segment_rule: str | None = strawberry.field(description="The rule as stored (canonical).")
    recipients: int
    total: int = strawberry.field(description="Active recipients in all.")
    errors: list[CorrectiveActionError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> PromotionPreviewPayload:
        return cls(segment_rule=None, recipients=0, total=0, errors=action_errors(errors))
