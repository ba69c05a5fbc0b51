"""How values read on screen: times in the person's time zone, named, empty values as a dash."""

from __future__ import annotations

import json
import re
from datetime import datetime

from ui.session import time_zone

EMPTY = "—"


def when(value: datetime | None, *, zone: bool = True) -> str:
    """The one way a moment reads: ``2026-12-07 14:30 IST`` in the signed-in person's time zone
    (their browser's, learnt at sign-in; UTC until then). ``zone=False`` leaves the zone's name off,
    for the first of two moments side by side."""
    if value is None:
        return EMPTY
    local = value.astimezone(time_zone())
    return local.strftime("%Y-%m-%d %H:%M") + (f" {local.tzname() or 'UTC'}" if zone else "")


def day_of(value: datetime | None) -> str:
    """The day a moment fell on, on the person's clock (``2026-12-07``)."""
    return value.astimezone(time_zone()).strftime("%Y-%m-%d") if value else EMPTY


# A moment as stored in audit entries and JSON: "2026-12-07T10:49:03.752489+00:00" (or with a space).
_STORED_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def plain(value) -> str:
    """A stored value (from an audit entry or HR attributes) as one readable line; a stored moment
    reads as a local time, like every other time on screen."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str) and _STORED_MOMENT.match(value):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(item) for item in value) or EMPTY
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
