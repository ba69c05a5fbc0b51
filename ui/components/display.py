"""How values read on screen: times in the person's time zone, named, empty values as a dash."""

from __future__ import annotations

import json
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


def plain(value) -> str:
    """A stored value (from an audit entry or HR attributes) as one readable line."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(item) for item in value) or EMPTY
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
