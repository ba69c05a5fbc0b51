"""What the campaign services hand to adapters (and to the rewards domain): frozen views, never
table rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.core.clock import as_utc
from backend.core.views import Page, json_value  # noqa: F401 (re-exported)

DRAFT, ACTIVE, PAUSED, ENDED = "draft", "active", "paused", "ended"
CAMPAIGN_STATUSES = (DRAFT, ACTIVE, PAUSED, ENDED)
AUTO, ADMIN_APPROVAL = "auto", "admin_approval"
APPROVAL_MODES = (AUTO, ADMIN_APPROVAL)
OFFERS, POINTS = "offers", "points"
REWARD_TYPES = (OFFERS, POINTS)
# A grant is a reward counted against a campaign: held while it waits for approval, issued, or released.
GRANT_PENDING, GRANT_ISSUED, GRANT_RELEASED = "pending", "issued", "released"


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass(frozen=True)
class CampaignView:
    """A campaign's rules and its live counters. ``remaining_*`` are None when unlimited; pending
    rewards (waiting for approval) hold count and budget like issued ones."""

    id: uuid.UUID
    programme_id: uuid.UUID
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    approval_mode: str
    reward_type: str  # offers | points
    allowed_offer_ids: tuple[uuid.UUID, ...]
    points_value: int | None
    currency: str | None  # None: a points campaign, whose values and budget are points
    max_rewards: int | None
    budget: int | None
    recipient_max_count: int | None
    recipient_max_value: int | None
    recipient_window_days: int | None
    default_channel: str
    strict_upload_columns: bool  # a bulk file with columns other than the upload's is refused, not read past
    status: str
    issued_count: int
    issued_value: int
    pending_count: int
    pending_value: int
    created_by_label: str
    created_at: datetime
    updated_at: datetime

    @property
    def remaining_count(self) -> int | None:
        return None if self.max_rewards is None else self.max_rewards - self.issued_count - self.pending_count

    @property
    def remaining_budget(self) -> int | None:
        return None if self.budget is None else self.budget - self.issued_value - self.pending_value

    @property
    def has_recipient_caps(self) -> bool:
        return self.recipient_max_count is not None or self.recipient_max_value is not None

    @property
    def recipient_window(self) -> timedelta | None:
        return timedelta(days=self.recipient_window_days) if self.recipient_window_days else None

    def within_dates(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at

    def allows_offer(self, offer_id: uuid.UUID | None) -> bool:
        if self.reward_type == POINTS:
            return offer_id is None
        return offer_id is not None and offer_id in self.allowed_offer_ids


def campaign_view(row) -> CampaignView:
    return CampaignView(
        id=_uuid(row["id"]),
        programme_id=_uuid(row["programme"]),
        name=row["name"],
        description=row["description"],
        starts_at=as_utc(row["starts_at"]),
        ends_at=as_utc(row["ends_at"]),
        approval_mode=row["approval_mode"],
        reward_type=row["reward_type"],
        allowed_offer_ids=tuple(_uuid(value) for value in json_value(row["allowed_offers"]) or ()),
        points_value=row["points_value"],
        currency=row["currency"],
        max_rewards=row["max_rewards"],
        budget=row["budget"],
        recipient_max_count=row["recipient_max_count"],
        recipient_max_value=row["recipient_max_value"],
        recipient_window_days=row["recipient_window_days"],
        default_channel=row["default_channel"],
        strict_upload_columns=bool(row["strict_upload_columns"]),
        status=row["status"],
        issued_count=row["issued_count"],
        issued_value=row["issued_value"],
        pending_count=row["pending_count"],
        pending_value=row["pending_value"],
        created_by_label=row["created_by_label"],
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
    )


@dataclass(frozen=True)
class GrantView:
    """One reward counted against a campaign (same id as the issuance)."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    recipient_id: uuid.UUID
    offer_id: uuid.UUID | None
    value: int
    state: str  # pending | issued | released
    source_event: str
    requested_by_kind: str
    requested_by_id: uuid.UUID | None
    requested_by_label: str
    granted_at: datetime
    decided_by_label: str | None
    decided_at: datetime | None
    decision_note: str


def grant_view(row) -> GrantView:
    return GrantView(
        id=_uuid(row["id"]),
        campaign_id=_uuid(row["campaign"]),
        recipient_id=_uuid(row["recipient_id"]),
        offer_id=_uuid(row["offer_id"]) if row["offer_id"] is not None else None,
        value=row["value"],
        state=row["state"],
        source_event=row["source_event"],
        requested_by_kind=row["requested_by_kind"],
        requested_by_id=_uuid(row["requested_by_id"]) if row["requested_by_id"] is not None else None,
        requested_by_label=row["requested_by_label"],
        granted_at=as_utc(row["granted_at"]),
        decided_by_label=row["decided_by_label"],
        decided_at=as_utc(row["decided_at"]) if row["decided_at"] is not None else None,
        decision_note=row["decision_note"],
    )
