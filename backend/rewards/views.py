"""What the rewards services hand to adapters: frozen views, never table rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core.clock import as_utc, maybe_utc
from backend.core.views import Page  # noqa: F401 (re-exported)

ISSUED, PENDING_APPROVAL, REJECTED, CANCELLED = "issued", "pending_approval", "rejected", "cancelled"
ISSUANCE_STATUSES = (ISSUED, PENDING_APPROVAL, REJECTED, CANCELLED)
REWARD_ISSUED = "reward.issued"  # the outbox topic the deliveries domain handles


def _uuid(value) -> uuid.UUID | None:
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass(frozen=True)
class IssuanceView:
    id: uuid.UUID
    campaign_id: uuid.UUID
    recipient_id: uuid.UUID
    offer_id: uuid.UUID | None  # None: a points reward
    terms_version_id: uuid.UUID | None
    value: int
    currency: str | None  # None: points
    points_transfer_id: uuid.UUID | None
    source_event: str
    channel: str
    status: str
    requested_by_label: str
    created_at: datetime
    issued_at: datetime | None
    decided_by_label: str | None
    decided_at: datetime | None
    decision_note: str


def issuance_view(row) -> IssuanceView:
    return IssuanceView(
        id=_uuid(row["id"]),
        campaign_id=_uuid(row["campaign"]),
        recipient_id=_uuid(row["recipient_id"]),
        offer_id=_uuid(row["offer_id"]),
        terms_version_id=_uuid(row["terms_version_id"]),
        value=row["value"],
        currency=row["currency"],
        points_transfer_id=_uuid(row["points_transfer_id"]),
        source_event=row["source_event"],
        channel=row["channel"],
        status=row["status"],
        requested_by_label=row["requested_by_label"],
        created_at=as_utc(row["created_at"]),
        issued_at=maybe_utc(row["issued_at"]),
        decided_by_label=row["decided_by_label"],
        decided_at=maybe_utc(row["decided_at"]),
        decision_note=row["decision_note"],
    )
