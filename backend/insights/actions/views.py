"""What the corrective-action services hand to adapters."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core.clock import as_utc, maybe_utc

RERANK, REFRESH_LISTING, PROMOTION, PARTNER_REPLACEMENT, SEGMENT_ROUTING = (
    "rerank",
    "refresh_listing",
    "promotion",
    "partner_replacement",
    "segment_routing",
)
KINDS = (RERANK, REFRESH_LISTING, PROMOTION, PARTNER_REPLACEMENT, SEGMENT_ROUTING)
DONE, PENDING, APPROVED, REJECTED = "done", "pending", "approved", "rejected"
STATUSES = (DONE, PENDING, APPROVED, REJECTED)


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class ActionView:
    id: uuid.UUID
    kind: str
    status: str
    partner_id: uuid.UUID | None
    review_id: uuid.UUID | None
    summary: str
    request: dict
    before: dict | None
    after: dict | None
    announcement_id: uuid.UUID | None
    requested_by: uuid.UUID | None
    requested_by_label: str
    requested_at: datetime
    decided_by: uuid.UUID | None
    decided_by_label: str
    decided_at: datetime | None
    decision_note: str


def action_view(row) -> ActionView:
    return ActionView(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        partner_id=row["partner_id"],
        review_id=row["review_id"],
        summary=row["summary"],
        request=_json(row["request"]) or {},
        before=_json(row["before"]),
        after=_json(row["after"]),
        announcement_id=row["announcement_id"],
        requested_by=row["requested_by"],
        requested_by_label=row["requested_by_label"],
        requested_at=as_utc(row["requested_at"]),
        decided_by=row["decided_by"],
        decided_by_label=row["decided_by_label"],
        decided_at=maybe_utc(row["decided_at"]),
        decision_note=row["decision_note"],
    )
