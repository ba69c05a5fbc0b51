"""The checks of a reward request that need no lock, shared by issuing and by the dry run (pricing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from backend.campaigns.services import governance
from backend.campaigns.views import CampaignView
from backend.catalog.services import eligibility
from backend.catalog.services.offer_rows import load_offer
from backend.catalog.views import OfferView, valid_denomination
from backend.core.authz import SYSTEM
from backend.core.errors import NotFound
from backend.core.money import format_money
from backend.ledger.rules import MAX_POINTS
from backend.recipients import services as recipients
from backend.recipients.services.validation import CHANNELS
from backend.recipients.services.views import RecipientView
from backend.rewards.services.rejections import Rejected, RejectionCode, refused

if TYPE_CHECKING:
    from backend.rewards.services.issuance import RewardRequest

MAX_SOURCE_EVENT = 300


@dataclass(frozen=True)
class Checked:
    channel: str
    terms_version_id: uuid.UUID | None
    currency: str | None


def check_request(
    campaign: CampaignView, request: RewardRequest, recipient: RecipientView | None, offer: OfferView | None, now: datetime
) -> Checked:
    """Every check that needs no lock, in the order a person would explain them; raises Rejected.
    ``offer`` is the requested offer (None for points, or when it does not exist)."""
    if (refusal := governance.check_open(campaign, now)) is not None:
        raise refused(refusal)
    channel = request.channel or campaign.default_channel
    if channel not in CHANNELS:
        raise Rejected(RejectionCode.INVALID_CHANNEL, f"the delivery channel is one of {', '.join(CHANNELS)}")
    if len(request.source_event or "") > MAX_SOURCE_EVENT:
        raise Rejected(RejectionCode.SOURCE_EVENT_TOO_LONG, f"a source event is at most {MAX_SOURCE_EVENT} characters")
    value = request.value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Rejected(RejectionCode.INVALID_DENOMINATION, "a reward's value is a positive whole number (minor units, or points)")
    if not campaign.allows_offer(request.offer_id):
        what = "points" if request.offer_id is None else f"offer {request.offer_id}"
        raise Rejected(RejectionCode.OFFER_NOT_ALLOWED, f"'{campaign.name}' does not issue {what}")
    if request.offer_id is None:
        if value > MAX_POINTS or (campaign.points_value is not None and value != campaign.points_value):
            expected = f"{campaign.points_value:,} points" if campaign.points_value is not None else f"1 to {MAX_POINTS:,} points"
            raise Rejected(RejectionCode.INVALID_DENOMINATION, f"a reward of '{campaign.name}' is {expected}")
        _check_recipient(request, recipient)
        return Checked(channel=channel, terms_version_id=None, currency=None)
    if offer is None or not offer.is_available:
        state = "missing" if offer is None else f"{offer.status} (partner {offer.partner_status})"
        raise Rejected(RejectionCode.OFFER_NOT_LIVE, f"offer {request.offer_id} is {state}: it cannot be issued")
    if offer.currency != campaign.currency:
        raise Rejected(
            RejectionCode.CURRENCY_MISMATCH, f"'{offer.title}' is in {offer.currency}, '{campaign.name}' in {campaign.currency}"
        )
    if not valid_denomination(offer, value):
        raise Rejected(
            RejectionCode.INVALID_DENOMINATION,
            f"{format_money(value, offer.currency)} is not a denomination of '{offer.title}' "
            f"({offer.denominations.describe(offer.currency)})",
        )
    _check_recipient(request, recipient)
    if not eligibility.eligible(offer, recipient):
        why = eligibility.refusal(offer, recipient)
        raise Rejected(RejectionCode.NOT_ELIGIBLE, f"{recipient.full_name} cannot have '{offer.title}': {why}")
    return Checked(channel=channel, terms_version_id=offer.current_terms_version_id, currency=offer.currency)


def _check_recipient(request: RewardRequest, recipient: RecipientView | None) -> None:
    # After the checks of the request itself: until the recipient is what decides, the answer is
    # the same whether the recipient exists or not (a caller must not learn who exists from it).
    if recipient is None:
        raise Rejected(RejectionCode.RECIPIENT_NOT_FOUND, f"recipient {request.recipient_id} does not exist")
    if recipient.status != "active":
        raise Rejected(RejectionCode.RECIPIENT_INACTIVE, f"{recipient.full_name} is {recipient.status}: no rewards")


async def read_recipient(recipient_id: uuid.UUID) -> RecipientView | None:
    # Read on the use case's behalf: its permission is rewards:write, checked already. One row by
    # id in plain SQL (every row of an upload comes through here; Piccolo's query building was a
    # fifth of an issuance's CPU).
    try:
        return await recipients.get_recipient(SYSTEM, recipient_id=recipient_id)
    except NotFound:
        return None


async def read_offer(offer_id: uuid.UUID | None) -> OfferView | None:
    if offer_id is None:
        return None
    try:
        return await load_offer(offer_id)
    except NotFound:
        return None
