"""A review's month: written ``YYYY-MM``, its first and last day, the month before it."""

from __future__ import annotations

import re
from datetime import date, timedelta

from backend.core.errors import DomainError
from backend.core.text import check_text

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, field: str = "month") -> date:
    """The first day of ``YYYY-MM``; a clear error for anything else."""
    check_text(field, text)
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise DomainError.single("INVALID_MONTH", "a month is written YYYY-MM, e.g. 2026-11", field=field)
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_text(first_day: date) -> str:
    return f"{first_day.year:04d}-{first_day.month:02d}"


def last_day(first_day: date) -> date:
    return next_month(first_day) - timedelta(days=1)


def next_month(first_day: date) -> date:
    return date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)


def previous_month(first_day: date) -> date:
    return (first_day - timedelta(days=1)).replace(day=1)
