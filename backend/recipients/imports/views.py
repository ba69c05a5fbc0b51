"""What the console reads of an import and of its rows."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

CHECKING, REFUSED, REVIEWED, APPLYING, APPLIED, DISCARDED = "checking", "refused", "reviewed", "applying", "applied", "discarded"
CREATE, UPDATE, UNCHANGED, REJECTED = "create", "update", "unchanged", "rejected"


@dataclass(frozen=True)
class ImportView:
    id: uuid.UUID
    file_name: str
    file_format: str
    source: str
    mapping: dict
    status: str
    refusal: str
    progress_total: int
    progress_done: int
    rows_total: int
    to_create: int
    to_update: int
    unchanged: int
    rejected: int
    created: int
    updated: int
    rejected_on_apply: int
    requested_by: uuid.UUID | None
    requested_by_label: str
    created_at: datetime
    updated_at: datetime

    @property
    def to_apply(self) -> int:
        return self.to_create + self.to_update


@dataclass(frozen=True)
class ImportRowView:
    row_number: int
    external_id: str
    full_name: str
    action: str
    changes: str
    reason: str


def import_view(row: dict) -> ImportView:
    mapping = row["mapping"]
    if isinstance(mapping, str):
        mapping = json.loads(mapping or "{}")
    return ImportView(**{name: row[name] for name in ImportView.__dataclass_fields__ if name != "mapping"}, mapping=mapping)


def import_row_view(row: dict) -> ImportRowView:
    return ImportRowView(**{name: row[name] for name in ImportRowView.__dataclass_fields__})
