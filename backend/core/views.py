"""What every domain's views share: a page of results, and reading JSON columns back."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and how many match in all."""

    rows: list
    total: int


def json_value(value):
    """Piccolo hands JSON columns back as text on both databases."""
    return json.loads(value) if isinstance(value, str) else value
