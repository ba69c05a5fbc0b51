"""How campaigns, issuances and uploads read on screen: labels and badge colours for their statuses
and modes, and a campaign's amounts as money (offers campaigns, in minor units) or points."""

from __future__ import annotations

from backend.campaigns.views import ACTIVE, ADMIN_APPROVAL, AUTO, DRAFT, ENDED, OFFERS, PAUSED, POINTS, CampaignView
from backend.core.money import format_value
from backend.rewards.uploads.views import APPROVED, COMPLETED, DISCARDED, REFUSED, STAGED, VALIDATING
from backend.rewards.views import CANCELLED, ISSUED, PENDING_APPROVAL, REJECTED
from ui.components.display import EMPTY

CAMPAIGN_STATUSES = {DRAFT: "Draft", ACTIVE: "Active", PAUSED: "Paused", ENDED: "Ended"}
CAMPAIGN_STATUS_COLOURS = {DRAFT: "blue-grey-6", ACTIVE: "positive", PAUSED: "orange-8", ENDED: "grey-7"}
APPROVAL_MODES = {AUTO: "Issued at once", ADMIN_APPROVAL: "An admin approves each reward"}
APPROVAL_MODE_SHORT = {AUTO: "Auto", ADMIN_APPROVAL: "Admin approval"}
REWARD_TYPES = {OFFERS: "Offers (vouchers)", POINTS: "Points"}
ISSUANCE_STATUSES = {ISSUED: "Issued", PENDING_APPROVAL: "Waiting for approval", REJECTED: "Rejected", CANCELLED: "Cancelled"}
ISSUANCE_STATUS_COLOURS = {ISSUED: "positive", PENDING_APPROVAL: "warning", REJECTED: "grey-7", CANCELLED: "grey-7"}
UPLOAD_STATUSES = {
    VALIDATING: "Validating",
    REFUSED: "Refused",
    STAGED: "In review",
    APPROVED: "Issuing",
    COMPLETED: "Completed",
    DISCARDED: "Discarded",
}
UPLOAD_STATUS_COLOURS = {
    VALIDATING: "primary",
    REFUSED: "negative",
    STAGED: "warning",
    APPROVED: "primary",
    COMPLETED: "positive",
    DISCARDED: "grey-7",
}


def amount(value: int | None, currency: str | None) -> str:
    """A campaign's value: money in its currency, or points when it has none (a points campaign)."""
    return EMPTY if value is None else format_value(value, currency)


def campaign_amount(campaign: CampaignView, value: int | None) -> str:
    return amount(value, campaign.currency)


def unit(campaign_currency: str | None) -> str:
    return campaign_currency or "points"


def limit_text(value: int | None, *, unlimited: str = "no limit") -> str:
    return unlimited if value is None else f"{value:,}"


def recipient_cap(campaign: CampaignView) -> str:
    """ "3 rewards and 1,500.00 INR per person in 30 days", or "no cap"."""
    parts = []
    if campaign.recipient_max_count is not None:
        parts.append(f"{campaign.recipient_max_count:,} reward{'s' if campaign.recipient_max_count != 1 else ''}")
    if campaign.recipient_max_value is not None:
        parts.append(campaign_amount(campaign, campaign.recipient_max_value))
    if not parts:
        return "no cap"
    window = campaign.recipient_window_days
    return " and ".join(parts) + " per person" + (f" in any {window} days" if window else " over the campaign")


# Why issuance would refuse (or refused) a reward, in words; the code stays in the API and the exports.
REFUSALS = {
    "CAMPAIGN_NOT_FOUND": "Campaign not found",
    "CAMPAIGN_NOT_ACTIVE": "Campaign not active",
    "OUTSIDE_CAMPAIGN_DATES": "Outside the campaign's dates",
    "OFFER_NOT_ALLOWED": "Offer not in this campaign",
    "OFFER_NOT_LIVE": "Offer not live",
    "INVALID_DENOMINATION": "Amount not offered",
    "CURRENCY_MISMATCH": "Currency does not match",
    "NOT_ELIGIBLE": "Not eligible",
    "RECIPIENT_NOT_FOUND": "Unknown recipient",
    "RECIPIENT_INACTIVE": "Recipient inactive",
    "CAP_REACHED": "Campaign cap reached",
    "RECIPIENT_CAP_REACHED": "Per-person cap reached",
    "BUDGET_EXHAUSTED": "Budget used up",
    "OUT_OF_STOCK": "Out of stock",
    "INVALID_CHANNEL": "Channel not available",
    "SOURCE_EVENT_TOO_LONG": "Source event too long",
}


def refusal_words(code: str | None) -> str:
    """A refusal code in words; an unknown one as a sentence of its own words (never SHOUTED_CODE)."""
    if not code:
        return EMPTY
    return REFUSALS.get(code, code.replace("_", " ").capitalize())
