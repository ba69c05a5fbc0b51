"""Why a reward was not issued, and how the refusals of the campaign's governance and of the
catalogue's voucher allocation map onto those reasons (the API's codes)."""

from __future__ import annotations

import enum

from backend.campaigns.services import governance
from backend.core import idempotency
from backend.core.errors import DomainError, FieldError


class RejectionCode(str, enum.Enum):
    """Why a reward was not issued: the API's codes."""

    CAMPAIGN_NOT_FOUND = "CAMPAIGN_NOT_FOUND"
    CAMPAIGN_NOT_ACTIVE = "CAMPAIGN_NOT_ACTIVE"
    OUTSIDE_CAMPAIGN_DATES = "OUTSIDE_CAMPAIGN_DATES"
    OFFER_NOT_ALLOWED = "OFFER_NOT_ALLOWED"
    OFFER_NOT_LIVE = "OFFER_NOT_LIVE"
    INVALID_DENOMINATION = "INVALID_DENOMINATION"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    RECIPIENT_NOT_FOUND = "RECIPIENT_NOT_FOUND"
    RECIPIENT_INACTIVE = "RECIPIENT_INACTIVE"
    CAP_REACHED = "CAP_REACHED"
    RECIPIENT_CAP_REACHED = "RECIPIENT_CAP_REACHED"
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    INVALID_CHANNEL = "INVALID_CHANNEL"
    SOURCE_EVENT_TOO_LONG = "SOURCE_EVENT_TOO_LONG"
    # Only in issue_rewards' outcomes (issue_reward raises these as DomainErrors):
    IDEMPOTENCY_CONFLICT = idempotency.IDEMPOTENCY_CONFLICT
    IDEMPOTENCY_KEY_INVALID = idempotency.IDEMPOTENCY_KEY_INVALID


class Rejected(DomainError):
    """A rejection raised inside the issuing transaction, so that it rolls back; turned into an
    ``IssuanceOutcome`` by ``issue_reward``."""

    def __init__(self, code: RejectionCode, message: str):
        self.rejection = code
        super().__init__(FieldError(field=None, code=code.value, message=message))


def refused(refusal: governance.Refusal) -> Rejected:
    """A governance refusal (caps, budget, dates) as the issuance's rejection."""
    return Rejected(RejectionCode(refusal.code.value), refusal.message)


# The allocation's refusals a reward request can cause; any other error of allocation is a fault.
_ALLOCATION_REJECTIONS = {
    "OUT_OF_STOCK": RejectionCode.OUT_OF_STOCK,
    "OFFER_NOT_AVAILABLE": RejectionCode.OFFER_NOT_LIVE,
    "INVALID_DENOMINATION": RejectionCode.INVALID_DENOMINATION,
}


def allocation_refused(error: DomainError) -> Rejected | None:
    """The rejection a voucher allocation's refusal stands for, or None when it is not one."""
    code = _ALLOCATION_REJECTIONS.get(error.code)
    return None if code is None else Rejected(code, error.errors[0].message)
