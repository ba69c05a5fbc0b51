"""GraphQL types of a partner's onboarding: stages, checklist items with evidence, the go-live request and its blockers; the onboarding mutations' inputs and payloads."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from backend.api.errors import errors_field
from backend.api.graphql_values import optional_id, values_enum
from backend.api.partners.types.errors import PartnerError, partner_errors
from backend.core.errors import FieldError
from backend.partners import checklist
from backend.partners.views import (
    APPROVED,
    LOCKED,
    OPEN,
    PENDING,
    REJECTED,
    SIGNED_OFF,
    WITHDRAWN,
    ChecklistItemView,
    EvidenceFileView,
    GoLiveBlocker,
    GoLiveRequestView,
    OnboardingView,
    StageView,
)

OnboardingStageKey = values_enum("OnboardingStageKey", checklist.STAGE_KEYS, "The onboarding stages, in workflow order.")
StageState = values_enum(
    "StageState",
    (LOCKED, OPEN, SIGNED_OFF),
    "LOCKED until the previous stage is signed off; OPEN while worked; SIGNED_OFF when closed.",
)
GoLiveRequestStatus = values_enum(
    "GoLiveRequestStatus",
    (PENDING, APPROVED, REJECTED, WITHDRAWN),
    "PENDING until a second person decides it (APPROVED, REJECTED) or the requester WITHDRAWN it.",
)


@strawberry.enum(description="What stands between a partner and live.")
class GoLiveBlockerCode(enum.Enum):
    ITEM_INCOMPLETE = "ITEM_INCOMPLETE"
    STAGE_NOT_SIGNED_OFF = "STAGE_NOT_SIGNED_OFF"
    GO_LIVE_NOT_REQUESTED = "GO_LIVE_NOT_REQUESTED"
    AWAITING_SECOND_APPROVAL = "AWAITING_SECOND_APPROVAL"
    PARTNER_OFFBOARDED = "PARTNER_OFFBOARDED"


@strawberry.type(description="A file kept as evidence of a checklist item: its name, digest and size (the bytes stay with us).")
class EvidenceFile:
    id: strawberry.ID
    file_name: str
    content_type: str
    sha256: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def from_view(cls, view: EvidenceFileView) -> EvidenceFile:
        return cls(
            id=optional_id(view.id),
            file_name=view.file_name,
            content_type=view.content_type,
            sha256=view.sha256,
            size_bytes=view.size_bytes,
            uploaded_by=view.uploaded_by_label,
            uploaded_at=view.uploaded_at,
        )


@strawberry.type(description="One step of a stage's checklist; done only with evidence (a note, a file, or both).")
class ChecklistItem:
    stage: OnboardingStageKey
    key: str
    label: str
    automated: bool = strawberry.field(description="Recorded by the sandbox UAT run, never ticked by hand.")
    done: bool
    note: str
    evidence_file: EvidenceFile | None
    completed_by: str = strawberry.field(description="Empty until done.")
    completed_at: datetime | None

    @classmethod
    def from_view(cls, view: ChecklistItemView) -> ChecklistItem:
        return cls(
            stage=OnboardingStageKey(view.stage),
            key=view.key,
            label=view.label,
            automated=view.automated,
            done=view.done,
            note=view.note,
            evidence_file=EvidenceFile.from_view(view.evidence_file) if view.evidence_file else None,
            completed_by=view.completed_by_label,
            completed_at=view.completed_at,
        )


@strawberry.type(
    description="An onboarding stage: worked once the previous one is signed off, signed off once every item is done."
)
class OnboardingStage:
    key: OnboardingStageKey
    label: str
    state: StageState
    items: list[ChecklistItem]
    items_done: int
    signed_off_by: str = strawberry.field(description="Empty until signed off.")
    signed_off_at: datetime | None
    sign_off_note: str

    @classmethod
    def from_view(cls, view: StageView) -> OnboardingStage:
        return cls(
            key=OnboardingStageKey(view.key),
            label=view.label,
            state=StageState(view.state),
            items=[ChecklistItem.from_view(item) for item in view.items],
            items_done=view.items_done,
            signed_off_by=view.signed_off_by_label,
            signed_off_at=view.signed_off_at,
            sign_off_note=view.sign_off_note,
        )


@strawberry.type(description="Maker-checker: one person asks for go-live, a different person decides.")
class GoLiveRequest:
    id: strawberry.ID
    status: GoLiveRequestStatus
    note: str
    requested_by: str
    requested_at: datetime
    decided_by: str = strawberry.field(description="Empty while pending.")
    decided_at: datetime | None
    decision_note: str

    @classmethod
    def from_view(cls, view: GoLiveRequestView) -> GoLiveRequest:
        return cls(
            id=optional_id(view.id),
            status=GoLiveRequestStatus(view.status),
            note=view.note,
            requested_by=view.requested_by_label,
            requested_at=view.requested_at,
            decided_by=view.decided_by_label,
            decided_at=view.decided_at,
            decision_note=view.decision_note,
        )


@strawberry.type(description="One reason a partner cannot go live yet; `stage` and `item` say where, when it is a place.")
class Blocker:
    code: GoLiveBlockerCode
    message: str
    stage: OnboardingStageKey | None
    item: str | None

    @classmethod
    def from_view(cls, view: GoLiveBlocker) -> Blocker:
        return cls(
            code=GoLiveBlockerCode(view.code),
            message=view.message,
            stage=OnboardingStageKey(view.stage) if view.stage else None,
            item=view.item,
        )


@strawberry.type(description="Where a partner stands in its onboarding and what still blocks go-live.")
class PartnerOnboarding:
    current_stage: OnboardingStageKey | None = strawberry.field(description="The first stage not signed off; null once all are.")
    stages: list[OnboardingStage]
    go_live_request: GoLiveRequest | None = strawberry.field(description="The pending or latest request.")
    blockers: list[Blocker] = strawberry.field(description="Empty once live (or paused).")
    ready_for_go_live_request: bool = strawberry.field(description="Every stage is signed off.")

    @classmethod
    def from_view(cls, view: OnboardingView) -> PartnerOnboarding:
        return cls(
            current_stage=OnboardingStageKey(view.current_stage) if view.current_stage else None,
            stages=[OnboardingStage.from_view(stage) for stage in view.stages],
            go_live_request=GoLiveRequest.from_view(view.go_live_request) if view.go_live_request else None,
            blockers=[Blocker.from_view(blocker) for blocker in view.blockers],
            ready_for_go_live_request=view.ready_for_go_live_request,
        )


@strawberry.input(description="Mark a checklist item done, with evidence: a note, a file, or both.")
class CompleteChecklistItemInput:
    partner_id: strawberry.ID
    stage: OnboardingStageKey
    item: str = strawberry.field(description="The item's key, e.g. `company_verified` (see `onboarding.stages.items.key`).")
    note: str | None = None
    evidence: Upload | None = strawberry.field(default=None, description="A new file (≤ 10 MB), sent as a multipart upload.")
    evidence_file_id: strawberry.ID | None = strawberry.field(default=None, description="Or a file attached before.")


@strawberry.input(description="Close a stage whose items are all done; the next stage opens.")
class SignOffStageInput:
    partner_id: strawberry.ID
    stage: OnboardingStageKey
    note: str | None = None


@strawberry.input(description="A go-live step: the maker's request or the checker's approval.")
class GoLiveInput:
    partner_id: strawberry.ID
    note: str | None = None


@strawberry.type(description="The checklist item as recorded.")
class ChecklistItemPayload:
    item: ChecklistItem | None
    errors: list[PartnerError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> ChecklistItemPayload:
        return cls(item=None, errors=partner_errors(errors))


@strawberry.type(description="The stage as signed off.")
class OnboardingStagePayload:
    stage: OnboardingStage | None
    errors: list[PartnerError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> OnboardingStagePayload:
        return cls(stage=None, errors=partner_errors(errors))


@strawberry.type(description="The go-live request as recorded.")
class GoLiveRequestPayload:
    request: GoLiveRequest | None
    errors: list[PartnerError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> GoLiveRequestPayload:
        return cls(request=None, errors=partner_errors(errors))
