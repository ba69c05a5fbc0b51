"""GraphQL types of issuance: campaigns as an integrator sees them, issuances, and the inputs,
payloads and error codes of ``issueReward`` / ``issueRewards``.

The rejection codes are the rewards service's own enum (wrapped, not copied), plus the few codes
the adapter itself answers (FORBIDDEN, TOO_MANY), so the API cannot drift from the service."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry

from backend.api.deliveries.loaders import deliveries_by_reward
from backend.api.deliveries.types import Delivery
from backend.api.errors import UserError, client_error, payload_errors
from backend.api.graphql_values import optional_id
from backend.api.permissions import requires
from backend.api.rewards.loaders import issuances_by_id
from backend.campaigns.services.campaigns import CampaignFilter
from backend.campaigns.views import CampaignView
from backend.core.authz import Permission
from backend.core.errors import FieldError
from backend.core.text import INVALID_CHARACTERS
from backend.deliveries.services.reconciliation import RewardFilter
from backend.rewards.services.issuance import IssuanceOutcome
from backend.rewards.services.rejections import RejectionCode
from backend.rewards.views import IssuanceView

FORBIDDEN, TOO_MANY = "FORBIDDEN", "TOO_MANY"

RewardErrorCode = strawberry.enum(
    enum.Enum(
        "RewardErrorCode",
        {**{code.name: code.value for code in RejectionCode}, FORBIDDEN: FORBIDDEN, TOO_MANY: TOO_MANY, "INVALID": "INVALID"}
        | {INVALID_CHARACTERS: INVALID_CHARACTERS},
    ),
    name="RewardErrorCode",
    description="Why a reward was not issued (nothing changed).",
)


@strawberry.enum(description="What became of a reward request.")
class IssuanceStatus(enum.Enum):
    ISSUED = "issued"
    PENDING_APPROVAL = "pending_approval"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@strawberry.type(description="A campaign: its rules and its live counters.")
class Campaign:
    id: strawberry.ID
    programme_id: strawberry.ID
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    approval_mode: str = strawberry.field(description="`auto`, or `admin_approval`: rewards wait for a person to approve them.")
    reward_type: str = strawberry.field(description="`offers` (a voucher of an allowed offer) or `points`.")
    allowed_offer_ids: list[strawberry.ID]
    points_value: int | None = strawberry.field(description="For a points campaign with a fixed reward: the points of each.")
    currency: str | None = strawberry.field(
        description="ISO 4217 code with a minor unit; null for a points campaign (values and budget in points)."
    )
    max_rewards: int | None
    budget: int | None = strawberry.field(description="In minor units of `currency` (or points); null: unlimited.")
    recipient_max_count: int | None
    recipient_max_value: int | None
    recipient_window_days: int | None = strawberry.field(
        description="The per-recipient caps count over this many days; null: ever."
    )
    default_channel: str
    strict_upload_columns: bool = strawberry.field(
        description="Bulk files: true refuses a file with columns other than the upload's; false reads past them "
        "(named in the upload's `ignoredColumns`)."
    )
    status: str = strawberry.field(description="draft, active, paused or ended: only an active campaign issues.")
    issued_count: int
    issued_value: int
    pending_count: int = strawberry.field(description="Rewards waiting for approval: they hold count and budget.")
    pending_value: int
    remaining_count: int | None
    remaining_budget: int | None

    @classmethod
    def from_view(cls, view: CampaignView) -> Campaign:
        return cls(
            id=optional_id(view.id),
            programme_id=optional_id(view.programme_id),
            name=view.name,
            description=view.description,
            starts_at=view.starts_at,
            ends_at=view.ends_at,
            approval_mode=view.approval_mode,
            reward_type=view.reward_type,
            allowed_offer_ids=[optional_id(offer_id) for offer_id in view.allowed_offer_ids],
            points_value=view.points_value,
            currency=view.currency,
            max_rewards=view.max_rewards,
            budget=view.budget,
            recipient_max_count=view.recipient_max_count,
            recipient_max_value=view.recipient_max_value,
            recipient_window_days=view.recipient_window_days,
            default_channel=view.default_channel,
            strict_upload_columns=view.strict_upload_columns,
            status=view.status,
            issued_count=view.issued_count,
            issued_value=view.issued_value,
            pending_count=view.pending_count,
            pending_value=view.pending_value,
            remaining_count=view.remaining_count,
            remaining_budget=view.remaining_budget,
        )


@strawberry.type(description="One reward issued (or waiting for approval) under a campaign.")
class RewardIssuance:
    id: strawberry.ID
    campaign_id: strawberry.ID
    recipient_id: strawberry.ID
    offer_id: strawberry.ID | None = strawberry.field(description="Null for a points reward.")
    terms_version_id: strawberry.ID | None = strawberry.field(description="The version of the offer's terms it was issued under.")
    value: int = strawberry.field(description="Minor units of `currency`, or points.")
    currency: str | None = strawberry.field(description="Null for a points reward.")
    points_transfer_id: strawberry.ID | None = strawberry.field(description="The ledger transfer that credited the points.")
    source_event: str
    channel: str
    status: IssuanceStatus
    requested_by: str
    created_at: datetime
    issued_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None

    @strawberry.field(
        extensions=requires(Permission.DELIVERIES_READ),
        description="How the reward reaches its recipient; null before it is issued (one query for a whole page).",
    )
    async def delivery(self, info: strawberry.Info) -> Delivery | None:
        view = await info.context.loader(deliveries_by_reward).load(uuid.UUID(str(self.id)))
        return Delivery.from_view(view) if view else None

    @strawberry.field(
        extensions=requires(Permission.DELIVERIES_READ),
        description="The reward's deliveries as a list (one per issued reward today: a list so a reward sent again "
        "as a new delivery can appear without changing the contract).",
    )
    async def deliveries(self, info: strawberry.Info) -> list[Delivery]:
        view = await info.context.loader(deliveries_by_reward).load(uuid.UUID(str(self.id)))
        return [Delivery.from_view(view)] if view else []

    @classmethod
    def from_view(cls, view: IssuanceView) -> RewardIssuance:
        return cls(
            id=optional_id(view.id),
            campaign_id=optional_id(view.campaign_id),
            recipient_id=optional_id(view.recipient_id),
            offer_id=optional_id(view.offer_id),
            terms_version_id=optional_id(view.terms_version_id),
            value=view.value,
            currency=view.currency,
            points_transfer_id=optional_id(view.points_transfer_id),
            source_event=view.source_event,
            channel=view.channel,
            status=IssuanceStatus(view.status),
            requested_by=view.requested_by_label,
            created_at=view.created_at,
            issued_at=view.issued_at,
            decided_by=view.decided_by_label,
            decided_at=view.decided_at,
        )


@strawberry.input(
    description="One reward for one business event. Give `recipientId` or `recipientExternalId`; "
    "`offerId` or `offerCode` for a voucher reward, none for a points reward."
)
class IssueRewardInput:
    campaign_id: strawberry.ID
    value: int = strawberry.field(description="The denomination in minor units of the offer's currency, or the points.")
    idempotency_key: str = strawberry.field(
        description="Unique per event (≤ 200 characters): a retry with it returns the first outcome."
    )
    recipient_id: strawberry.ID | None = None
    recipient_external_id: str | None = strawberry.field(default=None, description="Your (HR, CRM, POS) id of the recipient.")
    offer_id: strawberry.ID | None = None
    offer_code: str | None = strawberry.field(
        default=None, description="The offer's code (e.g. SHOP-IN-500, any case), instead of `offerId`."
    )
    source_event: str | None = strawberry.field(
        default=None, description="What happened, e.g. `pos:sale:981` (≤ 300 characters)."
    )
    channel: str | None = strawberry.field(default=None, description="email, sms or whatsapp; default the campaign's.")


@strawberry.input(description="Up to 100 rewards, each decided on its own.")
class IssueRewardsInput:
    rewards: list[IssueRewardInput]


@strawberry.type(description="A reason a reward was not issued.")
class RewardError(UserError):
    code: RewardErrorCode


def reward_errors(errors: list[FieldError]) -> list[RewardError]:
    return payload_errors(RewardError, RewardErrorCode, errors)


@strawberry.type(
    description="The outcome of one reward request: ISSUED (queued for delivery), PENDING_APPROVAL, or REJECTED "
    "with the reason in `errors` (then nothing changed)."
)
class IssueRewardPayload:
    status: IssuanceStatus
    issuance_id: strawberry.ID | None = strawberry.field(description="Null when REJECTED.")
    message: str
    replayed: bool = strawberry.field(
        description="True when this idempotency key was used before: the first outcome, returned again."
    )
    errors: list[RewardError] = strawberry.field(description="Empty unless REJECTED.")

    @strawberry.field(description="The issuance (read only when asked for: it costs a query).")
    async def issuance(self, info: strawberry.Info) -> RewardIssuance | None:
        if self.issuance_id is None:
            return None
        view = await info.context.loader(issuances_by_id).load(uuid.UUID(str(self.issuance_id)))
        return RewardIssuance.from_view(view) if view else None

    @classmethod
    def of(cls, outcome: IssuanceOutcome) -> IssueRewardPayload:
        errors = [] if outcome.rejection is None else reward_errors([FieldError(None, outcome.rejection.value, outcome.message)])
        return cls(
            status=IssuanceStatus(outcome.status),
            issuance_id=optional_id(outcome.issuance_id),
            message=outcome.message,
            replayed=outcome.replayed,
            errors=errors,
        )

    @classmethod
    def refused(cls, errors: list[FieldError]) -> IssueRewardPayload:
        return cls(
            status=IssuanceStatus.REJECTED,
            issuance_id=None,
            message="; ".join(error.message for error in errors),
            replayed=False,
            errors=reward_errors(errors),
        )


@strawberry.type(description="The outcomes of issueRewards, in the order of the input.")
class IssueRewardsPayload:
    results: list[IssueRewardPayload]
    issued_count: int
    pending_count: int
    rejected_count: int
    errors: list[RewardError] = strawberry.field(description="Set only when the whole batch was refused (scope, size).")

    @classmethod
    def of(cls, results: list[IssueRewardPayload]) -> IssueRewardsPayload:
        def count(status: IssuanceStatus) -> int:
            return sum(result.status is status for result in results)

        return cls(
            results=results,
            issued_count=count(IssuanceStatus.ISSUED),
            pending_count=count(IssuanceStatus.PENDING_APPROVAL),
            rejected_count=count(IssuanceStatus.REJECTED),
            errors=[],
        )

    @classmethod
    def refused(cls, errors: list[FieldError]) -> IssueRewardsPayload:
        return cls(results=[], issued_count=0, pending_count=0, rejected_count=0, errors=reward_errors(errors))


def _filter_id(value: strawberry.ID | None, entity: str) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise client_error(f"'{value}' is not a {entity} id") from None


@strawberry.input(description="Which rewards; every field optional. Newest first.")
class RewardFilterInput:
    campaign_id: strawberry.ID | None = None
    recipient_id: strawberry.ID | None = None
    status: IssuanceStatus | None = None
    delivery_status: str | None = strawberry.field(
        default=None,
        description="Its delivery's status: pending, sending, sent, delivered or failed (needs the deliveries:read scope).",
    )
    issued_after: datetime | None = strawberry.field(default=None, description="Issued at or after this instant.")
    issued_before: datetime | None = strawberry.field(default=None, description="Issued before this instant.")

    def to_domain(self) -> RewardFilter:
        return RewardFilter(
            campaign_id=_filter_id(self.campaign_id, "campaign"),
            recipient_id=_filter_id(self.recipient_id, "recipient"),
            status=self.status.value if self.status else None,
            delivery_status=self.delivery_status,
            issued_after=self.issued_after,
            issued_before=self.issued_before,
        )


@strawberry.input(description="Which campaigns; every field optional. Newest first.")
class CampaignFilterInput:
    programme_id: strawberry.ID | None = None
    status: str | None = strawberry.field(default=None, description="draft, active, paused or ended.")
    search: str | None = strawberry.field(default=None, description="A part of the name, any case.")

    def to_domain(self) -> CampaignFilter:
        return CampaignFilter(search=self.search, status=self.status, programme_id=_filter_id(self.programme_id, "programme"))
