"""The desk settings as a person types and reads them: times of day ("17:00"), durations of business
time ("2 h", "90 min", "1 h 30 min"), dates ("2026-12-24, 2026-12-31"), money in the programme's
currency, and the confirmation of what a save changed. Parsing refusals are FieldErrors on the
field typed in, like the service's own, so the form shows both the same way."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

import pycountry

from backend.core.errors import DomainError, FieldError
from backend.core.money import format_money, parse_amount
from backend.tickets.services.desk import holiday_countries
from backend.tickets.services.desk_admin import DeskChanges
from ui.pages.tickets.words import PRIORITIES

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(hours?|h|minutes?|mins?|m)?", re.IGNORECASE)

SETTING_WORDS = {
    "timezone": "time zone",
    "working_days": "working days",
    "opens_minute": "opening time",
    "closes_minute": "closing time",
    "holiday_country": "holiday country",
    "custom_holidays": "custom holidays",
    "reopen_window_hours": "reopen window",
    "retention_days": "retention",
    "breach_queue": "breach queue",
    "breach_assignee_id": "breach assignee",
    "high_value_minor": "high-value threshold",
    "approval_above_points": "points approval threshold",
    "approval_above_minor": "approval threshold",
}
TARGET_WORDS = {"first_response_s": "First response", "next_response_s": "Next response", "resolution_s": "Resolution"}


@lru_cache(maxsize=1)
def timezones() -> list[str]:
    return sorted(available_timezones())


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """The countries whose public holidays are known, by name: ``DE`` → "Germany (DE)"."""
    named = {}
    for code in holiday_countries():
        country = pycountry.countries.get(alpha_2=code)
        named[code] = f"{country.name if country else code} ({code})"
    return dict(sorted(named.items(), key=lambda item: item[1]))


def time_of_day(minute: int) -> str:
    return f"{minute // 60:02}:{minute % 60:02}"


def parse_time(text: str, field: str) -> int:
    """ "09:00", "9.30", "24:00" → minutes after midnight."""
    found = _TIME.fullmatch((text or "").strip())
    if not found or int(found[2]) > 59 or int(found[1]) * 60 + int(found[2]) > 24 * 60:
        raise DomainError.single("INVALID_TIME", f"“{text}” is not a time of day such as 09:00", field=field)
    return int(found[1]) * 60 + int(found[2])


def duration(seconds: int) -> str:
    """Business seconds as "2 h", "90 min" reads "1 h 30 min"."""
    hours, minutes = divmod(seconds // 60, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if part) or "0 min"


def parse_duration(text: str, field: str) -> int:
    """ "2 h", "1.5 h", "90 min", "1 h 30 min" or a bare number of hours → seconds."""
    text = (text or "").strip()
    parts = list(_PART.finditer(text))
    if not parts or _PART.sub("", text).strip():
        raise DomainError.single("INVALID_DURATION", f"“{text}” is not a duration such as 4 h or 90 min", field=field)
    seconds = 0.0
    for part in parts:
        unit = (part[2] or "h").lower()
        seconds += float(part[1]) * (60 if unit.startswith("m") else 3600)
    return round(seconds)


def parse_dates(text: str, field: str) -> tuple[date, ...]:
    days = []
    for item in filter(None, (piece.strip() for piece in (text or "").replace(";", ",").split(","))):
        try:
            days.append(date.fromisoformat(item))
        except ValueError:
            raise DomainError.single("INVALID_DATE", f"“{item}” is not a date such as 2026-12-24", field=field) from None
    return tuple(sorted(set(days)))


def money_text(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_money(minor, currency)


def parse_money(text: str, currency: str, field: str) -> int | None:
    """Empty: no threshold."""
    return None if not (text or "").strip() else parse_amount(text, currency, field)


def whole(value, field: str, empty_is_none: bool = False) -> int | None:
    """A number input's value as a whole number."""
    if value is None or value == "":
        if empty_is_none:
            return None
        raise DomainError.single("REQUIRED", "a number is needed here", field=field)
    if float(value) != int(float(value)):
        raise DomainError.single("NOT_WHOLE", "a whole number is needed here", field=field)
    return int(float(value))


def collected(errors: list[FieldError]) -> None:
    if errors:
        raise DomainError(errors)


def changes_words(changes: DeskChanges) -> str:
    if not changes:
        return "Nothing changed: the settings were already these."
    said = [SETTING_WORDS.get(name, name) for name in changes.settings]
    said += [f"{PRIORITIES.get(priority, priority).lower()} SLA targets" for priority in changes.priorities]
    return "Saved: " + ", ".join(said) + "."
