"""Moments a person types, read in their own time zone and stored in UTC — the one place every form
of the console turns "2026-12-24 09:00" into an instant (and an instant back into that text).

The zone is the signed-in person's (ui/session.py ``time_zone()``, learnt from the browser at
sign-in), named beside the field so nobody has to guess what "09:00" means. Days (a holiday, an
expiry date) stay days; a day that bounds a search of moments starts at the person's midnight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from nicegui import ui

from backend.core.errors import FieldError
from ui.session import time_zone

MOMENT_FORMAT = "%Y-%m-%d %H:%M"
MOMENT_PATTERN = "YYYY-MM-DD HH:MM"


def zone_name(zone: tzinfo | None = None) -> str:
    """The zone's IANA name (``Asia/Kolkata``), the one people recognise from their computer."""
    zone = zone or time_zone()
    return getattr(zone, "key", None) or "UTC"


def local_text(value: datetime | None, zone: tzinfo | None = None) -> str:
    """A stored instant as the person would type it: ``2026-12-24 09:00`` on their clock."""
    return value.astimezone(zone or time_zone()).strftime(MOMENT_FORMAT) if value else ""


def to_utc(text: str, zone: tzinfo | None = None) -> datetime:
    """What the person typed (a moment, or a day meaning its midnight) on their clock, as a UTC
    instant. ValueError with words for the person when it is not a moment or never happens there
    (a time the clocks skip when they go forward). A time that happens twice (clocks going back)
    is the first of the two."""
    zone = zone or time_zone()
    text = (text or "").strip()
    for pattern in (MOMENT_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            wall = datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    else:
        raise ValueError(f"write it as {MOMENT_PATTERN} ({zone_name(zone)})")
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:  # the wall clock never shows it
        raise ValueError(f"{wall:%Y-%m-%d %H:%M} does not exist in {zone_name(zone)}: the clocks go forward then")
    return instant


def today() -> date:
    """The day it is on the person's clock (in Kolkata the day starts five and a half hours before UTC's)."""
    return datetime.now(time_zone()).date()


def day_start(day: date, *, end: bool = False, zone: tzinfo | None = None) -> datetime:
    """A day's first instant on the person's clock (with ``end``, the next day's: a range's last day
    is included), in UTC — for searching stored moments by the days a person means."""
    midnight = datetime.combine(day + timedelta(days=1 if end else 0), time.min, tzinfo=zone or time_zone())
    return midnight.astimezone(UTC)


class MomentInput(ui.input):
    """A text field for a moment on the person's clock, their zone named in its label.

    ``moment(field, errors)`` reads it back as a UTC instant. Left as shown, it returns the stored
    instant itself (seconds and all), so opening and saving a form never moves its moments."""

    def __init__(self, label: str, value: datetime | None = None) -> None:
        self.zone = time_zone()  # fixed when drawn: the text shown and the text read share one clock
        self.stored = value
        self.shown = local_text(value, self.zone)
        super().__init__(f"{label} ({zone_name(self.zone)})", value=self.shown, placeholder=MOMENT_PATTERN)

    def moment(self, field: str, errors: list[FieldError]) -> datetime | None:
        text = (self.value or "").strip()
        if self.stored is not None and text == self.shown:
            return self.stored.astimezone(UTC)
        try:
            return to_utc(text, self.zone)
        except ValueError as error:
            errors.append(FieldError(field, "INVALID_DATE", str(error)))
            return None
