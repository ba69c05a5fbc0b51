"""issueReward and issueRewards: what another system (POS, CRM, HR, loyalty engine) calls when one
of its business rules fires. Parse the input, call the rewards service, render its outcome.

A recipient may be named by the caller's own external id: it is resolved here on the issuer's
behalf (rewards:write is enough; the answer carries only our id, not the directory entry). A key
that cannot read recipients must not learn from the answer who exists: for it, an unknown
recipient is decided like any other (the service checks the recipient after the request itself),
and "unknown", "inactive" and "not eligible" are one refusal."""

from __future__ import annotations

import dataclasses
import uuid

import strawberry

from backend.api.permissions import requires
from backend.api.rewards.types import TOO_MANY, IssueRewardInput, IssueRewardPayload, IssueRewardsInput, IssueRewardsPayload
from backend.api.rewards.upload_types import RewardUpload, RewardUploadPayload, UploadRewardFileInput
from backend.api.uploads import uploaded_file
from backend.catalog.services import offer_codes
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.text import check_text, shown
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientView
from backend.rewards.services import issuance as issuing
from backend.rewards.services.issuance import RewardRequest
from backend.rewards.services.rejections import RejectionCode
from backend.rewards.uploads.services import staging

MAX_BATCH = 100


def _uuid(value: strawberry.ID | None, code: RejectionCode, field: str) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError.single(code.value, f"'{value}' is not a {field.removesuffix('Id')} id", field=field) from None


# The id an unknown external id stands for when the caller may not be told it is unknown: no recipient has it.
NO_RECIPIENT = uuid.UUID(int=0)
# The refusals that say something about a recipient, as a key without recipients:read sees them.
_ABOUT_THE_RECIPIENT = {RejectionCode.RECIPIENT_NOT_FOUND, RejectionCode.RECIPIENT_INACTIVE, RejectionCode.NOT_ELIGIBLE}
CANNOT_RECEIVE = (
    "this recipient cannot receive this reward (unknown, inactive or not eligible; a key with recipients:read is told which)"
)


async def _recipient(actor: Actor, reward: IssueRewardInput) -> tuple[uuid.UUID, RecipientView | None]:
    """The recipient's id, and the recipient itself when it was looked up by external id."""
    if (reward.recipient_id is None) == (reward.recipient_external_id is None):
        raise DomainError.single(
            RejectionCode.RECIPIENT_NOT_FOUND.value,
            "give exactly one of recipientId and recipientExternalId",
            field="recipientId",
        )
    if reward.recipient_id is not None:
        return _uuid(reward.recipient_id, RejectionCode.RECIPIENT_NOT_FOUND, "recipientId"), None
    check_text("recipient_external_id", reward.recipient_external_id)  # named as the input names it
    try:
        recipient = await recipients.get_recipient(SYSTEM, external_id=reward.recipient_external_id)
    except NotFound:
        if not actor.can(Permission.RECIPIENTS_READ):
            return NO_RECIPIENT, None  # the service refuses it in its turn, as it would an unknown id
        raise DomainError.single(
            RejectionCode.RECIPIENT_NOT_FOUND.value,
            f"no recipient has the external id '{shown(reward.recipient_external_id)}'",
            field="recipientExternalId",
        ) from None
    return recipient.id, recipient


async def _offer_id(reward: IssueRewardInput) -> uuid.UUID | None:
    """The offer named by ``offerId`` or by ``offerCode`` (both: they must name the same offer)."""
    offer_id = _uuid(reward.offer_id, RejectionCode.OFFER_NOT_LIVE, "offerId")
    if reward.offer_code is None:
        return offer_id
    check_text("offer_code", reward.offer_code)
    by_code = await offer_codes.offer_id_by_code(reward.offer_code)
    if by_code is None or (offer_id is not None and by_code != offer_id):
        problem = "is not an offer's code" if by_code is None else "names another offer than offerId"
        raise DomainError.single(
            RejectionCode.OFFER_NOT_LIVE.value, f"'{reward.offer_code.strip()[:40]}' {problem}", field="offerCode"
        )
    return by_code


async def _request(actor: Actor, reward: IssueRewardInput) -> tuple[RewardRequest, RecipientView | None]:
    campaign_id = _uuid(reward.campaign_id, RejectionCode.CAMPAIGN_NOT_FOUND, "campaignId")
    recipient_id, recipient = await _recipient(actor, reward)
    return RewardRequest(
        campaign_id=campaign_id,
        recipient_id=recipient_id,
        offer_id=await _offer_id(reward),
        value=reward.value,
        idempotency_key=reward.idempotency_key,
        source_event=reward.source_event or "",
        channel=reward.channel,
    ), recipient


async def _issue(actor: Actor, reward: IssueRewardInput) -> IssueRewardPayload:
    try:
        request, recipient = await _request(actor, reward)
        outcome = await issuing.issue_reward(actor, request, recipient=recipient)
    except DomainError as refusal:
        return IssueRewardPayload.refused(refusal.errors)
    if outcome.rejection in _ABOUT_THE_RECIPIENT and not actor.can(Permission.RECIPIENTS_READ):
        outcome = dataclasses.replace(outcome, rejection=RejectionCode.NOT_ELIGIBLE, message=CANNOT_RECEIVE)
    return IssueRewardPayload.of(outcome)


@strawberry.type
class RewardMutations:
    @strawberry.mutation(
        extensions=requires(Permission.REWARDS_WRITE, refusal=IssueRewardPayload.refused),
        description="Issue one reward under a campaign when a business rule fires. Checked in one transaction: the campaign is "
        "active and within its dates, the offer allowed and of a valid denomination, the recipient eligible, the caps "
        "and budget not exceeded. ISSUED (queued for delivery), PENDING_APPROVAL (campaigns with admin approval) or "
        "REJECTED with a code. A retry with the same idempotencyKey returns the first outcome.",
    )
    async def issue_reward(self, info: strawberry.Info, input: IssueRewardInput) -> IssueRewardPayload:
        return await _issue(info.context.actor, input)

    @strawberry.mutation(
        extensions=requires(Permission.REWARDS_WRITE, refusal=IssueRewardsPayload.refused),
        description=f"Issue up to {MAX_BATCH} rewards, each decided on its own as by issueReward (one rejection does not stop the "
        "rest); results in the input's order.",
    )
    async def issue_rewards(self, info: strawberry.Info, input: IssueRewardsInput) -> IssueRewardsPayload:
        if len(input.rewards) > MAX_BATCH:
            return IssueRewardsPayload.refused(
                [
                    FieldError(
                        "rewards", TOO_MANY, f"at most {MAX_BATCH} rewards per call ({len(input.rewards)} sent); split the batch"
                    )
                ]
            )
        return IssueRewardsPayload.of([await _issue(info.context.actor, reward) for reward in input.rewards])

    @strawberry.mutation(
        extensions=requires(Permission.REWARDS_WRITE, refusal=RewardUploadPayload.refused),
        description="Send a file of rewards for a campaign (multipart upload): it is stored and the upload comes back "
        "`validating`; a worker then validates every row (`rewardUpload(id)`: `progressDone` of about `progressTotal` rows) "
        "and the upload becomes `staged`, the bad rows reported with line and reasons (`invalidRows`), or `refused` for "
        "a problem of the whole file (`refusal`: WRONG_HEADER, INVALID_ENCODING, …). A file over the size bound "
        "(FILE_TOO_LARGE) or a campaign that has ended is refused here and stores nothing. Nothing is issued until a "
        "second admin approves the upload in the console.",
    )
    async def upload_reward_file(self, info: strawberry.Info, input: UploadRewardFileInput) -> RewardUploadPayload:
        try:
            try:  # a malformed id names no campaign: the upload's own NOT_FOUND, as for an unknown one
                campaign_id = uuid.UUID(str(input.campaign_id))
            except ValueError:
                raise NotFound("campaign", input.campaign_id, field="campaignId") from None
            file = uploaded_file(input.file, "file")
            upload = await staging.receive_upload(info.context.actor, campaign_id, file.stream, file.name)
        except DomainError as refusal:
            return RewardUploadPayload.refused(refusal.errors)
        return RewardUploadPayload(upload=RewardUpload.from_view(upload), errors=[])
