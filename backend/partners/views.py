"""What the partner services hand to adapters: frozen views, never table rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core.clock import as_utc, maybe_utc
from backend.core.views import Page, json_value  # noqa: F401 (re-exported)

SOURCES = ("network", "client_sourced")
REWARD_TYPES = ("gift_card", "experience", "merchandise", "prepaid_wallet", "voucher")
ONBOARDING, LIVE, PAUSED, OFFBOARDED = "onboarding", "live", "paused", "offboarded"
PARTNER_STATUSES = (ONBOARDING, LIVE, PAUSED, OFFBOARDED)

# Stage states in an onboarding view.
LOCKED, OPEN, SIGNED_OFF = "locked", "open", "signed_off"
# Go-live request states.
PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"


@dataclass(frozen=True)
class Contact:
    name: str
    role: str = ""
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class PartnerView:
    id: uuid.UUID
    name: str
    source: str
    category: str
    countries: tuple[str, ...]
    reward_types: tuple[str, ...]
    audience_fit: str
    contacts: tuple[Contact, ...]
    status: str
    created_at: datetime
    updated_at: datetime
    created_by_label: str

    @property
    def is_live(self) -> bool:
        return self.status == LIVE


@dataclass(frozen=True)
class EvidenceFileView:
    id: uuid.UUID
    partner_id: uuid.UUID
    file_name: str
    content_type: str
    sha256: str
    size_bytes: int
    uploaded_by_label: str
    uploaded_at: datetime


@dataclass(frozen=True)
class ChecklistItemView:
    stage: str
    key: str
    label: str
    automated: bool
    done: bool
    note: str = ""
    evidence_file: EvidenceFileView | None = None
    completed_by_label: str = ""
    completed_at: datetime | None = None


@dataclass(frozen=True)
class StageView:
    key: str
    label: str
    state: str  # locked | open | signed_off
    items: tuple[ChecklistItemView, ...]
    signed_off_by_label: str = ""
    signed_off_at: datetime | None = None
    sign_off_note: str = ""

    @property
    def items_done(self) -> int:
        return sum(item.done for item in self.items)


@dataclass(frozen=True)
class GoLiveRequestView:
    id: uuid.UUID
    partner_id: uuid.UUID
    status: str
    note: str
    requested_by: uuid.UUID
    requested_by_label: str
    requested_at: datetime
    decided_by_label: str
    decided_at: datetime | None
    decision_note: str


@dataclass(frozen=True)
class GoLiveBlocker:
    """One reason the partner cannot go live yet; ``stage``/``item`` say where, when it is a place."""

    code: str  # ITEM_INCOMPLETE | STAGE_NOT_SIGNED_OFF | GO_LIVE_NOT_REQUESTED | AWAITING_SECOND_APPROVAL | PARTNER_OFFBOARDED
    message: str
    stage: str | None = None
    item: str | None = None


@dataclass(frozen=True)
class OnboardingView:
    partner: PartnerView
    stages: tuple[StageView, ...]
    current_stage: str | None  # the first stage not signed off; None once all are
    go_live_request: GoLiveRequestView | None  # the pending or latest request
    blockers: tuple[GoLiveBlocker, ...]

    @property
    def ready_for_go_live_request(self) -> bool:
        return all(stage.state == SIGNED_OFF for stage in self.stages)


@dataclass(frozen=True)
class OnboardingTrailExport:
    """The compliance export: the trail as CSV, and the evidence files it cites."""

    file_name: str
    csv_text: str
    evidence: tuple[EvidenceFileView, ...]


def partner_view(row: dict) -> PartnerView:
    return PartnerView(
        id=row["id"],
        name=row["name"],
        source=row["source"],
        category=row["category"],
        countries=tuple(json_value(row["countries"]) or ()),
        reward_types=tuple(json_value(row["reward_types"]) or ()),
        audience_fit=row["audience_fit"],
        contacts=tuple(Contact(**contact) for contact in json_value(row["contacts"]) or ()),
        status=row["status"],
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        created_by_label=row["created_by_label"],
    )


def evidence_file_view(row: dict) -> EvidenceFileView:
    return EvidenceFileView(
        id=row["id"],
        partner_id=row["partner"],
        file_name=row["file_name"],
        content_type=row["content_type"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        uploaded_by_label=row["uploaded_by_label"],
        uploaded_at=as_utc(row["uploaded_at"]),
    )


def go_live_request_view(row: dict) -> GoLiveRequestView:
    return GoLiveRequestView(
        id=row["id"],
        partner_id=row["partner"],
        status=row["status"],
        note=row["note"],
        requested_by=row["requested_by"],
        requested_by_label=row["requested_by_label"],
        requested_at=as_utc(row["requested_at"]),
        decided_by_label=row["decided_by_label"],
        decided_at=maybe_utc(row["decided_at"]),
        decision_note=row["decision_note"],
    )
