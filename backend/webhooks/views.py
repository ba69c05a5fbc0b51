"""What the webhook services hand to adapters: read-only views, never table rows."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core.clock import as_utc, maybe_utc
from backend.core.views import Page  # noqa: F401 (re-exported)

PENDING, DELIVERING, SUCCEEDED, FAILED = "pending", "delivering", "succeeded", "failed"
STATUSES = (PENDING, DELIVERING, SUCCEEDED, FAILED)
REPLAYABLE = (SUCCEEDED, FAILED)  # a pending or delivering one is still being tried


@dataclass(frozen=True)
class EndpointView:
    id: uuid.UUID
    url: str
    description: str
    topics: tuple[str, ...]
    enabled: bool
    secret_hint: str  # masked: the full secret is shown once, when created or rotated
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None
    created_by_label: str


@dataclass(frozen=True)
class DeliveryView:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    endpoint_url: str
    event_id: uuid.UUID
    topic: str
    payload: dict
    status: str
    series: int
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @property
    def replayable(self) -> bool:
        return self.status in REPLAYABLE


@dataclass(frozen=True)
class AttemptView:
    series: int
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    next_attempt_at: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def delivery_view(row: dict, endpoint_url: str) -> DeliveryView:
    payload = row["payload"]
    return DeliveryView(
        id=row["id"],
        endpoint_id=row["endpoint"],
        endpoint_url=endpoint_url,
        event_id=row["event_id"],
        topic=row["topic"],
        payload=json.loads(payload) if isinstance(payload, str) else payload,
        status=row["status"],
        series=row["series"],
        attempts=row["attempts"],
        next_attempt_at=maybe_utc(row["next_attempt_at"]),
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        created_at=as_utc(row["created_at"]),
        delivered_at=maybe_utc(row["delivered_at"]),
    )


def attempt_view(row: dict) -> AttemptView:
    return AttemptView(
        series=row["series"],
        number=row["number"],
        started_at=as_utc(row["started_at"]),
        duration_ms=row["duration_ms"],
        status_code=row["status_code"],
        error=row["error"],
        response_excerpt=row["response_excerpt"],
        next_attempt_at=maybe_utc(row["next_attempt_at"]),
    )
