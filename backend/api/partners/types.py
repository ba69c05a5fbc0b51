"""GraphQL types of the partners domain: partner profiles, their onboarding (stages, checklist
items with evidence, go-live request and blockers), the mutations' inputs and payloads, and
``PartnerErrorCode``.

The enums are built from the domain's own value lists (``backend.partners.views``, ``checklist``),
so the schema follows the domain and the drift test says when it moved.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from backend.api.errors import UserError, errors_field, payload_errors
from backend.api.partners.loaders import current_stage_of, onboarding_of
from backend.core.errors import FieldError
from backend.partners import checklist
from backend.partners.services.profiles import PartnerFilter, PartnerProfileInput
from backend.partners.views import (
    APPROVED,
    LOCKED,
    OPEN,
    PARTNER_STATUSES,
    PENDING,
    REJECTED,
    REWARD_TYPES,
    SIGNED_OFF,
    SOURCES,
    WITHDRAWN,
    ChecklistItemView,
    Contact,
    EvidenceFileView,
    GoLiveBlocker,
    GoLiveRequestView,
    OnboardingView,
    PartnerView,
    StageView,
)


def _values_enum(name: str, values: tuple[str, ...], description: str) -> type[enum.Enum]:
    """A GraphQL enum over a domain's list of lower-case values: ONBOARDING ↔ "onboarding"."""
    return strawberry.enum(enum.Enum(name, {value.upper(): value for value in values}), name=name, description=description)


PartnerStatus = _values_enum(
    "PartnerStatus",
    PARTNER_STATUSES,
    "ONBOARDING until an approved go-live; LIVE; PAUSED (its offers stop); OFFBOARDED for good.",
)
PartnerSource = _values_enum("PartnerSource", SOURCES, "NETWORK: from our partner network. CLIENT_SOURCED: brought by a client.")
RewardType = _values_enum("RewardType", REWARD_TYPES, "What a partner's rewards are.")
OnboardingStageKey = _values_enum("OnboardingStageKey", checklist.STAGE_KEYS, "The onboarding stages, in workflow order.")
StageState = _values_enum(
    "StageState",
    (LOCKED, OPEN, SIGNED_OFF),
    "LOCKED until the previous stage is signed off; OPEN while worked; SIGNED_OFF when closed.",
)
GoLiveRequestStatus = _values_enum(
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


def _id(value) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


@strawberry.type(description="Someone to talk to at the partner.")
class PartnerContact:
    name: str
    role: str
    email: str | None
    phone: str | None = strawberry.field(description="E.164.")

    @classmethod
    def from_view(cls, contact: Contact) -> PartnerContact:
        return cls(name=contact.name, role=contact.role, email=contact.email, phone=contact.phone)


@strawberry.type(description="A redemption partner: a brand whose offers recipients redeem rewards for.")
class Partner:
    id: strawberry.ID
    name: str
    source: PartnerSource
    category: str = strawberry.field(description="Lower case, e.g. retail, travel, dining.")
    countries: list[str] = strawberry.field(description="Where it serves: ISO 3166-1 alpha-2 codes, sorted.")
    reward_types: list[RewardType]
    audience_fit: str = strawberry.field(description="Who its offers suit, in the partner manager's words.")
    contacts: list[PartnerContact]
    status: PartnerStatus
    created_at: datetime
    updated_at: datetime
    created_by: str = strawberry.field(description="Who created it, as the audit log names them.")

    @classmethod
    def from_view(cls, view: PartnerView) -> Partner:
        return cls(
            id=_id(view.id),
            name=view.name,
            source=PartnerSource(view.source),
            category=view.category,
            countries=list(view.countries),
            reward_types=[RewardType(kind) for kind in view.reward_types],
            audience_fit=view.audience_fit,
            contacts=[PartnerContact.from_view(contact) for contact in view.contacts],
            status=PartnerStatus(view.status),
            created_at=view.created_at,
            updated_at=view.updated_at,
            created_by=view.created_by_label,
        )

    @strawberry.field(
        description="The first onboarding stage not signed off; null once every stage is (read for a whole page at once)."
    )
    async def current_stage(self, info: strawberry.Info) -> OnboardingStageKey | None:
        stage = await info.context.loader(current_stage_of).load(uuid.UUID(self.id))
        return OnboardingStageKey(stage) if stage else None

    @strawberry.field(
        description="Stages, checklist items with evidence, the go-live request and what blocks go-live. "
        "A few queries per partner: ask for it on `partner(id)`, not over a long list."
    )
    async def onboarding(self, info: strawberry.Info) -> PartnerOnboarding:
        return PartnerOnboarding.from_view(await info.context.loader(onboarding_of).load(uuid.UUID(self.id)))


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
            id=_id(view.id),
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
            id=_id(view.id),
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


# ---------------------------------------------------------------- inputs


@strawberry.input(description="Narrows the partners list; every given field must match.")
class PartnerFilterInput:
    search: str | None = strawberry.field(default=None, description="Substring of the name, any case.")
    status: PartnerStatus | None = None
    source: PartnerSource | None = None
    category: str | None = None
    country: str | None = strawberry.field(
        default=None, description="Partners serving this country (ISO 3166-1 alpha-2 or alpha-3)."
    )

    def to_domain(self) -> PartnerFilter:
        return PartnerFilter(
            search=self.search,
            status=self.status.value if self.status else None,
            source=self.source.value if self.source else None,
            category=self.category,
            country=self.country,
        )


@strawberry.input(description="A contact at the partner: a name and an email address or a phone number.")
class PartnerContactInput:
    name: str
    role: str = ""
    email: str | None = None
    phone: str | None = strawberry.field(default=None, description="With its +country prefix.")

    def to_domain(self) -> Contact:
        return Contact(name=self.name, role=self.role, email=self.email, phone=self.phone)


def _profile(input_) -> PartnerProfileInput:
    return PartnerProfileInput(
        name=input_.name,
        source=input_.source.value,
        category=input_.category,
        countries=list(input_.countries),
        reward_types=[kind.value for kind in input_.reward_types],
        audience_fit=input_.audience_fit or "",
        contacts=[contact.to_domain() for contact in input_.contacts or []],
    )


@strawberry.input(description="A new partner; it starts ONBOARDING, at the first stage.")
class CreatePartnerInput:
    name: str = strawberry.field(description="Unique, any case.")
    source: PartnerSource
    category: str
    countries: list[str] = strawberry.field(description="ISO 3166-1 codes of the countries it serves (at least one).")
    reward_types: list[RewardType]
    audience_fit: str | None = None
    contacts: list[PartnerContactInput] | None = None

    def to_domain(self) -> PartnerProfileInput:
        return _profile(self)


@strawberry.input(
    description="The partner's whole profile: fields left out are cleared. Its status changes only through the workflow."
)
class UpdatePartnerInput:
    partner_id: strawberry.ID
    name: str
    source: PartnerSource
    category: str
    countries: list[str]
    reward_types: list[RewardType]
    audience_fit: str | None = None
    contacts: list[PartnerContactInput] | None = None

    def to_domain(self) -> PartnerProfileInput:
        return _profile(self)


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


# ---------------------------------------------------------------- payloads


@strawberry.enum(description="Why a partners mutation changed nothing.")
class PartnerErrorCode(enum.Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    TOO_MANY = "TOO_MANY"
    NAME_TAKEN = "NAME_TAKEN"
    INVALID_SOURCE = "INVALID_SOURCE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    INVALID_REWARD_TYPE = "INVALID_REWARD_TYPE"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    MISSING_CONTACT = "MISSING_CONTACT"
    INVALID_STATUS = "INVALID_STATUS"
    INVALID_STATUS_CHANGE = "INVALID_STATUS_CHANGE"
    PARTNER_OFFBOARDED = "PARTNER_OFFBOARDED"
    PARTNER_NOT_ONBOARDING = "PARTNER_NOT_ONBOARDING"
    REASON_REQUIRED = "REASON_REQUIRED"
    UNKNOWN_STAGE = "UNKNOWN_STAGE"
    UNKNOWN_ITEM = "UNKNOWN_ITEM"
    STAGE_LOCKED = "STAGE_LOCKED"
    EVIDENCE_REQUIRED = "EVIDENCE_REQUIRED"
    ONE_FILE_PER_ITEM = "ONE_FILE_PER_ITEM"
    EMPTY_FILE = "EMPTY_FILE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    ITEM_ALREADY_DONE = "ITEM_ALREADY_DONE"
    ITEM_AUTOMATED = "ITEM_AUTOMATED"
    ITEM_NOT_AUTOMATED = "ITEM_NOT_AUTOMATED"
    CHECKLIST_INCOMPLETE = "CHECKLIST_INCOMPLETE"
    STAGE_ALREADY_SIGNED_OFF = "STAGE_ALREADY_SIGNED_OFF"
    PERSON_REQUIRED = "PERSON_REQUIRED"
    GO_LIVE_ALREADY_REQUESTED = "GO_LIVE_ALREADY_REQUESTED"
    NO_PENDING_REQUEST = "NO_PENDING_REQUEST"
    SELF_APPROVAL = "SELF_APPROVAL"
    NOT_THE_REQUESTER = "NOT_THE_REQUESTER"


@strawberry.type(description="A reason a partners mutation changed nothing.")
class PartnerError(UserError):
    code: PartnerErrorCode


def partner_errors(errors: list[FieldError]) -> list[PartnerError]:
    return payload_errors(PartnerError, PartnerErrorCode, errors)


@strawberry.type(description="A partner after createPartner, updatePartner or approveGoLive.")
class PartnerPayload:
    partner: Partner | None = strawberry.field(description="Null when refused.")
    errors: list[PartnerError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> PartnerPayload:
        return cls(partner=None, errors=partner_errors(errors))


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
