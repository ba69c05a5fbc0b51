"""The gated onboarding workflow: checklist items done with evidence, stages signed off in order,
and what still blocks go-live.

The gates, each with its error code:

* a stage is worked only once the previous stage is signed off — STAGE_LOCKED;
* an item is done only with evidence: a note, a file, or both — EVIDENCE_REQUIRED;
* an item is done once — ITEM_ALREADY_DONE (a unique index settles a race);
* the automated item (the sandbox UAT issuance) is recorded only by that run — ITEM_AUTOMATED;
* a stage is signed off only when all its items are done — CHECKLIST_INCOMPLETE;
* only a partner that is still onboarding has a workflow to work — PARTNER_NOT_ONBOARDING.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.db_errors import is_unique_violation
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.partners import checklist
from backend.partners.services.lookups import partner_row
from backend.partners.tables import ChecklistCompletion, EvidenceFile, GoLiveRequest, StageSignOff
from backend.partners.views import (
    LOCKED,
    OFFBOARDED,
    ONBOARDING,
    OPEN,
    PENDING,
    SIGNED_OFF,
    ChecklistItemView,
    EvidenceFileView,
    GoLiveBlocker,
    GoLiveRequestView,
    OnboardingView,
    PartnerView,
    StageView,
    evidence_file_view,
    go_live_request_view,
    partner_view,
)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_NOTE = 4000
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
# Everything but the bytes: listing evidence never loads the files.
_EVIDENCE_COLUMNS = [column for column in EvidenceFile._meta.columns if column._meta.name != "content"]


@dataclass(frozen=True)
class EvidenceUpload:
    file_name: str
    content: bytes
    content_type: str = "application/octet-stream"


# ---------------------------------------------------------------- reading the state


@dataclass(frozen=True)
class OnboardingState:
    """Everything the workflow knows about one partner, read in one go."""

    partner: PartnerView
    completions: dict[tuple[str, str], dict]
    sign_offs: dict[str, dict]
    evidence: dict[uuid.UUID, EvidenceFileView]
    latest_request: GoLiveRequestView | None

    def stage_state(self, stage_key: str) -> str:
        if stage_key in self.sign_offs:
            return SIGNED_OFF
        previous = checklist.previous_stage(stage_key)
        return OPEN if previous is None or previous.key in self.sign_offs else LOCKED

    def missing_items(self, stage_key: str) -> list[checklist.ChecklistItem]:
        return [item for item in checklist.stage(stage_key).items if (stage_key, item.key) not in self.completions]

    def item_view(self, stage_key: str, item: checklist.ChecklistItem) -> ChecklistItemView:
        row = self.completions.get((stage_key, item.key))
        if row is None:
            return ChecklistItemView(stage=stage_key, key=item.key, label=item.label, automated=item.automated, done=False)
        return ChecklistItemView(
            stage=stage_key,
            key=item.key,
            label=item.label,
            automated=item.automated,
            done=True,
            note=row["note"],
            evidence_file=self.evidence.get(row["evidence_file"]),
            completed_by_label=row["completed_by_label"],
            completed_at=as_utc(row["completed_at"]),
        )

    def stage_view(self, stage: checklist.Stage) -> StageView:
        sign_off = self.sign_offs.get(stage.key)
        return StageView(
            key=stage.key,
            label=stage.label,
            state=self.stage_state(stage.key),
            items=tuple(self.item_view(stage.key, item) for item in stage.items),
            signed_off_by_label=sign_off["signed_off_by_label"] if sign_off else "",
            signed_off_at=as_utc(sign_off["signed_off_at"]) if sign_off else None,
            sign_off_note=sign_off["note"] if sign_off else "",
        )

    def blockers(self) -> tuple[GoLiveBlocker, ...]:
        if self.partner.status == OFFBOARDED:
            return (GoLiveBlocker("PARTNER_OFFBOARDED", f"{self.partner.name} is offboarded"),)
        if self.partner.status != ONBOARDING:
            return ()  # it has gone live already
        found: list[GoLiveBlocker] = []
        for stage in checklist.STAGES:
            if stage.key in self.sign_offs:
                continue
            missing = self.missing_items(stage.key)
            found += [
                GoLiveBlocker("ITEM_INCOMPLETE", f"{stage.label}: '{item.label}' is not done", stage.key, item.key)
                for item in missing
            ]
            found.append(GoLiveBlocker("STAGE_NOT_SIGNED_OFF", f"{stage.label} is not signed off", stage.key))
        request = self.latest_request
        if request is not None and request.status == PENDING:
            found.append(
                GoLiveBlocker(
                    "AWAITING_SECOND_APPROVAL", f"requested by {request.requested_by_label}; another admin must approve"
                )
            )
        elif not found:
            found.append(GoLiveBlocker("GO_LIVE_NOT_REQUESTED", "every stage is signed off: request go-live"))
        return tuple(found)

    def view(self) -> OnboardingView:
        current = next((stage.key for stage in checklist.STAGES if stage.key not in self.sign_offs), None)
        return OnboardingView(
            partner=self.partner,
            stages=tuple(self.stage_view(stage) for stage in checklist.STAGES),
            current_stage=current,
            go_live_request=self.latest_request,
            blockers=self.blockers(),
        )


async def load_state(partner_id: uuid.UUID) -> OnboardingState:
    partner = partner_view(await partner_row(partner_id))
    completions = await ChecklistCompletion.select().where(ChecklistCompletion.partner == partner_id)
    sign_offs = await StageSignOff.select().where(StageSignOff.partner == partner_id)
    evidence = await EvidenceFile.select(*_EVIDENCE_COLUMNS).where(EvidenceFile.partner == partner_id)
    request = (
        await GoLiveRequest.select()
        .where(GoLiveRequest.partner == partner_id)
        .order_by(GoLiveRequest.id, ascending=False)
        .first()
    )
    return OnboardingState(
        partner=partner,
        completions={(row["stage"], row["item"]): row for row in completions},
        sign_offs={row["stage"]: row for row in sign_offs},
        evidence={row["id"]: evidence_file_view(row) for row in evidence},
        latest_request=go_live_request_view(request) if request else None,
    )


async def onboarding(actor: Actor, partner_id: uuid.UUID) -> OnboardingView:
    """The checklist page: every stage with its state and items, the go-live request, the blockers."""
    actor.require(Permission.CATALOG_READ)
    return (await load_state(partner_id)).view()


async def go_live_blockers(actor: Actor, partner_id: uuid.UUID) -> tuple[GoLiveBlocker, ...]:
    """What stands between the partner and live, in workflow order (the console's checklist page).
    Empty for a partner that has gone live (live or paused); PARTNER_OFFBOARDED for an offboarded one."""
    actor.require(Permission.CATALOG_READ)
    return (await load_state(partner_id)).blockers()


# ---------------------------------------------------------------- evidence files


def _clean_upload(upload: EvidenceUpload) -> EvidenceUpload:
    check_text("evidence.content_type", upload.content_type)
    base = re.split(r"[/\\]", (upload.file_name or "").strip())[-1]  # a browser may send a path: keep its last part
    name = _UNSAFE_NAME.sub("_", base).strip(". ")[:255]
    if not name:
        raise DomainError.single("REQUIRED", "an evidence file needs a name", field="evidence.file_name")
    if not upload.content:
        raise DomainError.single("EMPTY_FILE", f"{name} is empty", field="evidence.content")
    if len(upload.content) > MAX_EVIDENCE_BYTES:
        raise DomainError.single(
            "FILE_TOO_LARGE", f"{name} is {len(upload.content):,} bytes; at most {MAX_EVIDENCE_BYTES:,}", field="evidence.content"
        )
    content_type = (upload.content_type or "").strip()[:100] or "application/octet-stream"
    return EvidenceUpload(file_name=name, content=bytes(upload.content), content_type=content_type)


async def _store_evidence(actor: Actor, partner_id: uuid.UUID, upload: EvidenceUpload) -> EvidenceFileView:
    upload = _clean_upload(upload)  # idempotent: already-clean uploads pass unchanged
    file_id = new_id()
    await EvidenceFile.insert(
        EvidenceFile(
            id=file_id,
            partner=partner_id,
            file_name=upload.file_name,
            content_type=upload.content_type,
            sha256=hashlib.sha256(upload.content).hexdigest(),
            size_bytes=len(upload.content),
            content=upload.content,
            uploaded_by=actor.id,
            uploaded_by_label=actor.label,
            uploaded_at=utcnow(),
        )
    )
    view = evidence_file_view(await EvidenceFile.select(*_EVIDENCE_COLUMNS).where(EvidenceFile.id == file_id).first())
    await audit.record(
        actor,
        "partner.evidence_attached",
        "partner",
        partner_id,
        after={"file_id": file_id, "file_name": view.file_name, "sha256": view.sha256, "size_bytes": view.size_bytes},
    )
    return view


async def attach_evidence_file(actor: Actor, partner_id: uuid.UUID, upload: EvidenceUpload) -> EvidenceFileView:
    """Keep a file (≤ 10 MB) with its name, SHA-256 and size, to cite when completing items."""
    actor.require(Permission.PARTNERS_WRITE)
    async with write_transaction():
        await partner_row(partner_id)
        return await _store_evidence(actor, partner_id, upload)


async def evidence_file_content(actor: Actor, file_id: uuid.UUID) -> tuple[EvidenceFileView, bytes]:
    """The file and its bytes, for download and for the compliance bundle."""
    actor.require(Permission.CATALOG_READ)
    row = await EvidenceFile.select().where(EvidenceFile.id == file_id).first()
    if row is None:
        raise NotFound("evidence file", file_id, field="file_id")
    return evidence_file_view(row), bytes(row["content"])


async def list_evidence_files(actor: Actor, partner_id: uuid.UUID) -> list[EvidenceFileView]:
    actor.require(Permission.CATALOG_READ)
    rows = await EvidenceFile.select(*_EVIDENCE_COLUMNS).where(EvidenceFile.partner == partner_id).order_by(EvidenceFile.id)
    return [evidence_file_view(row) for row in rows]


# ---------------------------------------------------------------- checklist items and stages


def _require_onboarding(state: OnboardingState) -> None:
    if state.partner.status != ONBOARDING:
        raise DomainError.single(
            "PARTNER_NOT_ONBOARDING", f"{state.partner.name} is {state.partner.status}: its onboarding is closed"
        )


def _require_unlocked(state: OnboardingState, stage: checklist.Stage) -> None:
    if state.stage_state(stage.key) == LOCKED:
        previous = checklist.previous_stage(stage.key)
        raise DomainError.single("STAGE_LOCKED", f"{stage.label} is locked: sign off {previous.label} first", field="stage")


async def _complete_item(
    actor: Actor,
    partner_id: uuid.UUID,
    stage_key: str,
    item_key: str,
    note: str,
    evidence: EvidenceUpload | None,
    evidence_file_id: uuid.UUID | None,
    automated_run: bool,
) -> ChecklistItemView:
    stage = checklist.stage(stage_key)
    item = stage.item(item_key)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError.single("TOO_LONG", f"a note is at most {MAX_NOTE} characters", field="note")
    if item.automated and not automated_run:
        raise DomainError.single("ITEM_AUTOMATED", f"'{item.label}' is recorded by a sandbox UAT run, not by hand", field="item")
    if evidence is not None and evidence_file_id is not None:
        raise DomainError.single("ONE_FILE_PER_ITEM", "cite a new file or an attached one, not both", field="evidence")
    if not note and evidence is None and evidence_file_id is None:
        raise DomainError.single("EVIDENCE_REQUIRED", f"'{item.label}' needs evidence: a note, a file, or both", field="note")
    evidence = _clean_upload(evidence) if evidence is not None else None
    async with write_transaction():
        state = await load_state(partner_id)
        _require_onboarding(state)
        _require_unlocked(state, stage)
        if (stage.key, item.key) in state.completions:
            raise DomainError.single("ITEM_ALREADY_DONE", f"'{item.label}' is already done", field="item")
        if evidence_file_id is not None and evidence_file_id not in state.evidence:
            raise NotFound("evidence file of this partner", evidence_file_id, field="evidence_file_id")
        if evidence is not None:
            evidence_file_id = (await _store_evidence(actor, partner_id, evidence)).id
        try:
            await ChecklistCompletion.insert(
                ChecklistCompletion(
                    id=new_id(),
                    partner=partner_id,
                    stage=stage.key,
                    item=item.key,
                    note=note,
                    evidence_file=evidence_file_id,
                    completed_by=actor.id,
                    completed_by_label=actor.label,
                    completed_at=utcnow(),
                )
            )
        except Exception as error:
            if is_unique_violation(error):  # a concurrent completion of the same item won
                raise DomainError.single("ITEM_ALREADY_DONE", f"'{item.label}' is already done", field="item") from None
            raise
        evidence_view = state.evidence.get(evidence_file_id) if evidence is None else await _evidence(evidence_file_id)
        await audit.record(
            actor,
            "partner.checklist_item_done",
            "partner",
            partner_id,
            after={
                "stage": stage.key,
                "item": item.key,
                "note": note,
                "automated": automated_run,
                "evidence_file": None
                if evidence_view is None
                else {"id": evidence_view.id, "name": evidence_view.file_name, "sha256": evidence_view.sha256},
            },
        )
        return (await load_state(partner_id)).item_view(stage.key, item)


async def _evidence(file_id: uuid.UUID) -> EvidenceFileView:
    return evidence_file_view(await EvidenceFile.select(*_EVIDENCE_COLUMNS).where(EvidenceFile.id == file_id).first())


async def complete_checklist_item(
    actor: Actor,
    partner_id: uuid.UUID,
    stage: str,
    item: str,
    *,
    note: str = "",
    evidence: EvidenceUpload | None = None,
    evidence_file_id: uuid.UUID | None = None,
) -> ChecklistItemView:
    """Mark an item done with evidence: a note, a new file (``evidence``), an already attached file
    (``evidence_file_id``), or a note with a file. Who and when are recorded from the actor and the clock."""
    actor.require(Permission.PARTNERS_WRITE)
    check_text("note", note, multiline=True)
    return await _complete_item(actor, partner_id, stage, item, note, evidence, evidence_file_id, automated_run=False)


async def record_automated_check(actor: Actor, partner_id: uuid.UUID, stage: str, item: str, note: str) -> ChecklistItemView:
    """For the system runs that prove an automated item (the catalogue's sandbox UAT issuance):
    the note carries the run's result. Joins the caller's transaction, so a failed run records nothing."""
    actor.require(Permission.PARTNERS_WRITE)
    check_text("note", note, multiline=True)
    if not checklist.stage(stage).item(item).automated:
        raise DomainError.single("ITEM_NOT_AUTOMATED", f"'{item}' is completed by hand, with evidence", field="item")
    return await _complete_item(actor, partner_id, stage, item, note, None, None, automated_run=True)


async def sign_off_stage(actor: Actor, partner_id: uuid.UUID, stage: str, note: str = "") -> StageView:
    """Close a stage whose items are all done; the next stage opens."""
    actor.require(Permission.PARTNERS_WRITE)
    check_text("note", note, multiline=True)
    stage_def = checklist.stage(stage)
    async with write_transaction():
        state = await load_state(partner_id)
        _require_onboarding(state)
        _require_unlocked(state, stage_def)
        if stage_def.key in state.sign_offs:
            raise DomainError.single("STAGE_ALREADY_SIGNED_OFF", f"{stage_def.label} is already signed off", field="stage")
        missing = state.missing_items(stage_def.key)
        if missing:
            raise DomainError.single(
                "CHECKLIST_INCOMPLETE",
                f"{stage_def.label} still needs: {'; '.join(item.label for item in missing)}",
                field="stage",
            )
        try:
            await StageSignOff.insert(
                StageSignOff(
                    id=new_id(),
                    partner=partner_id,
                    stage=stage_def.key,
                    note=(note or "").strip()[:MAX_NOTE],
                    signed_off_by=actor.id,
                    signed_off_by_label=actor.label,
                    signed_off_at=utcnow(),
                )
            )
        except Exception as error:
            if is_unique_violation(error):
                raise DomainError.single(
                    "STAGE_ALREADY_SIGNED_OFF", f"{stage_def.label} is already signed off", field="stage"
                ) from None
            raise
        await audit.record(actor, "partner.stage_signed_off", "partner", partner_id, after={"stage": stage_def.key, "note": note})
        return (await load_state(partner_id)).stage_view(stage_def)
