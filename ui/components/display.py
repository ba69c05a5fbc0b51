"""How values read on screen: times in UTC with their zone, empty values as a dash."""

from __future__ import annotations

import json
from datetime import UTC, datetime

EMPTY = "—"


def when(value: datetime | None) -> str:
    if value is None:
        return EMPTY
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


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
