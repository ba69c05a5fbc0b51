"""A recipient's segment: the five fields an event keeps as they were at that moment, and the
optional filters on them every metrics query takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.core.sql import Conditions
from backend.core.text import check_text

SEGMENT_FIELDS = ("country", "business_unit", "department", "grade", "location")
# Each field's filter as a fixed clause text, on the roll-up's own row or on the row ``r`` of a
# correlated subquery (the metrics' last redemption): no column name is formatted per call.
_FILTERS = {
    "": {name: f"{name} = ?" for name in SEGMENT_FIELDS},
    "r": {name: f"r.{name} = ?" for name in SEGMENT_FIELDS},
}


@dataclass(frozen=True)
class Segment:
    """Filters (None: any) or, on an event, the recipient's values ('' when they had none)."""

    country: str | None = None
    business_unit: str | None = None
    department: str | None = None
    grade: str | None = None
    location: str | None = None

    def values(self) -> tuple[str, ...]:
        """As stored on an event and its roll-up cell: '' for an unknown field."""
        return tuple(getattr(self, name) or "" for name in SEGMENT_FIELDS)

    def check(self) -> None:
        """Refuse a filter no recipient can hold (INVALID_CHARACTERS naming the field), before any
        lookup: PostgreSQL cannot even compare a NUL."""
        for name in SEGMENT_FIELDS:
            check_text(name, getattr(self, name))

    def narrow(self, conditions: Conditions, alias: str = "") -> None:
        """Add this segment's filters to a WHERE clause, on the row named ``alias`` ("" or "r")."""
        filters = _FILTERS[alias]
        for name in SEGMENT_FIELDS:
            conditions.when(filters[name], getattr(self, name))


def recipient_segment(country: str | None, hr_attributes: Mapping[str, object] | None) -> Segment:
    """The recipient's segment from their country column and HR attributes (the names the HR sync
    presets map to: business_unit, department, grade, location). A grade of 5 is the text '5'."""
    hr = hr_attributes or {}

    def text(name: str, length: int) -> str:
        value = hr.get(name)
        return "" if value is None or isinstance(value, (dict, list)) else str(value).strip()[:length]

    return Segment(
        country=(country or "").upper()[:2],
        business_unit=text("business_unit", 120),
        department=text("department", 120),
        grade=text("grade", 60),
        location=text("location", 120),
    )
