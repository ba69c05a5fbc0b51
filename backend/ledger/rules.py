"""Checks of what a caller asks for, before anything is written. Each returns the clean value or
raises a DomainError naming the field."""

from __future__ import annotations

from datetime import timedelta

from backend.core.settings import get_settings
from backend.core.text import check_text
from backend.ledger.errors import LedgerErrorCode, refused
from backend.ledger.kinds import Source

# Points are whole numbers; the cap keeps every sum of balances far inside a 64-bit integer.
MAX_POINTS = 10**12
MAX_REFERENCE = 200
MAX_REASON = 500
MAX_RESERVATION_TIMEOUT = timedelta(days=7)


def points(value: object, field: str = "amount") -> int:
    # bool is an int in Python; True points are not a thing.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_POINTS:
        raise refused(LedgerErrorCode.AMOUNT_INVALID, f"an amount is a whole number of points from 1 to {MAX_POINTS:,}", field)
    return value


def source(value: Source | str) -> Source:
    try:
        return Source(value)
    except ValueError:
        raise refused(
            LedgerErrorCode.SOURCE_INVALID, f"source is one of {', '.join(s.value for s in Source)}", "source"
        ) from None


def reference(value: str | None) -> str | None:
    check_text("reference", value)
    value = (value or "").strip()
    if len(value) > MAX_REFERENCE:
        raise refused(LedgerErrorCode.TEXT_TOO_LONG, f"a reference is at most {MAX_REFERENCE} characters", "reference")
    return value or None


def reason(value: str | None, *, required: bool = False, field: str = "reason") -> str:
    check_text(field, value, multiline=True)
    value = (value or "").strip()
    if required and not value:
        raise refused(LedgerErrorCode.REASON_REQUIRED, "say why (it is kept with the transfer and in the audit log)", field)
    if len(value) > MAX_REASON:
        raise refused(LedgerErrorCode.TEXT_TOO_LONG, f"a reason is at most {MAX_REASON} characters", field)
    return value


def reservation_timeout(value: timedelta | None) -> timedelta:
    """The caller's timeout, or the configured default (``MIRABELLE_LEDGER_RESERVATION_TIMEOUT_SECONDS``)."""
    if value is None:
        return timedelta(seconds=get_settings().ledger_reservation_timeout_seconds)
    if not timedelta(0) < value <= MAX_RESERVATION_TIMEOUT:
        raise refused(
            LedgerErrorCode.TIMEOUT_INVALID, "a reservation's timeout is more than 0 seconds and at most 7 days", "timeout"
        )
    return value


def page_size(limit: int) -> int:
    return max(1, min(int(limit), 200))
