"""Why a partners mutation changed nothing: ``PartnerErrorCode`` and the payloads' error type."""

from __future__ import annotations

import enum

import strawberry

from backend.api.errors import UserError, payload_errors
from backend.core.errors import FieldError


@strawberry.enum(description="Why a partners mutation changed nothing.")
class PartnerErrorCode(enum.Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    TOO_MANY = "TOO_MANY"
    NAME_TAKEN = "NAME_TAKEN"
    INVALID_SOURCE = "INVALID_SOURCE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    INVALID_REWARD_TYPE = "INVALID_REWARD_TYPE"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    MISSING_CONTACT = "MISSING_CONTACT"
    INVALID_STATUS = "INVALID_STATUS"
    INVALID_STATUS_CHANGE = "INVALID_STATUS_CHANGE"
    PARTNER_OFFBOARDED = "PARTNER_OFFBOARDED"
    PARTNER_NOT_ONBOARDING = "PARTNER_NOT_ONBOARDING"
    REASON_REQUIRED = "REASON_REQUIRED"
    UNKNOWN_STAGE = "UNKNOWN_STAGE"
    UNKNOWN_ITEM = "UNKNOWN_ITEM"
    STAGE_LOCKED = "STAGE_LOCKED"
    EVIDENCE_REQUIRED = "EVIDENCE_REQUIRED"
    ONE_FILE_PER_ITEM = "ONE_FILE_PER_ITEM"
    EMPTY_FILE = "EMPTY_FILE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    ITEM_ALREADY_DONE = "ITEM_ALREADY_DONE"
    ITEM_AUTOMATED = "ITEM_AUTOMATED"
    ITEM_NOT_AUTOMATED = "ITEM_NOT_AUTOMATED"
    CHECKLIST_INCOMPLETE = "CHECKLIST_INCOMPLETE"
    STAGE_ALREADY_SIGNED_OFF = "STAGE_ALREADY_SIGNED_OFF"
    PERSON_REQUIRED = "PERSON_REQUIRED"
    GO_LIVE_ALREADY_REQUESTED = "GO_LIVE_ALREADY_REQUESTED"
    NO_PENDING_REQUEST = "NO_PENDING_REQUEST"
    SELF_APPROVAL = "SELF_APPROVAL"
    NOT_THE_REQUESTER = "NOT_THE_REQUESTER"


@strawberry.type(description="A reason a partners mutation changed nothing.")
class PartnerError(UserError):
    code: PartnerErrorCode


def partner_errors(errors: list[FieldError]) -> list[PartnerError]:
    return payload_errors(PartnerError, PartnerErrorCode, errors)
