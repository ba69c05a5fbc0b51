"""Each gate of the workflow: stages in order, evidence on every item, sign-off only when complete."""

import hashlib

import pytest
from onboarding_steps import profile, work_stage

from backend.core import audit
from backend.core.errors import DomainError
from backend.partners import checklist
from backend.partners.services import onboarding, profiles
from backend.partners.services.onboarding import EvidenceUpload
from backend.partners.tables import ChecklistCompletion, EvidenceFile


@pytest.fixture
async def partner(admin):
    return await profiles.create_partner(admin, profile())


async def refused(code: str, call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


def test_the_workflow_is_defined_once_in_order():
    assert checklist.STAGE_KEYS == ("profiling", "offer_setup", "eligibility", "uat", "go_live")
    assert all(stage.items for stage in checklist.STAGES)
    assert [item.key for stage in checklist.STAGES for item in stage.items if item.automated] == ["sandbox_issuance"]


async def test_a_new_partner_starts_at_profiling_with_later_stages_locked(admin, partner):
    view = await onboarding.onboarding(admin, partner.id)
    assert view.current_stage == "profiling"
    assert [stage.state for stage in view.stages] == ["open", "locked", "locked", "locked", "locked"]
    assert not any(item.done for stage in view.stages for item in stage.items)


async def test_a_stage_cannot_be_worked_or_signed_off_before_the_previous_one(admin, partner):
    error = await refused(
        "STAGE_LOCKED", onboarding.complete_checklist_item(admin, partner.id, "offer_setup", "offers_configured", note="ok")
    )
    assert "sign off Profiling first" in error.errors[0].message
    await refused("STAGE_LOCKED", onboarding.sign_off_stage(admin, partner.id, "go_live"))
    # Doing every profiling item is not enough: the stage must be signed off to open the next.
    await work_stage(admin, partner.id, "profiling", sign_off=False)
    await refused(
        "STAGE_LOCKED", onboarding.complete_checklist_item(admin, partner.id, "offer_setup", "offers_configured", note="ok")
    )
    await onboarding.sign_off_stage(admin, partner.id, "profiling")
    done = await onboarding.complete_checklist_item(admin, partner.id, "offer_setup", "offers_configured", note="ok")
    assert done.done and done.completed_by_label == admin.label


async def test_an_item_needs_evidence(admin, partner):
    await refused(
        "EVIDENCE_REQUIRED", onboarding.complete_checklist_item(admin, partner.id, "profiling", "company_verified", note="   ")
    )
    assert await ChecklistCompletion.count() == 0


async def test_a_file_is_kept_as_evidence_with_its_digest(admin, partner):
    content = b"%PDF-1.4 registration certificate"
    item = await onboarding.complete_checklist_item(
        admin,
        partner.id,
        "profiling",
        "company_verified",
        evidence=EvidenceUpload(file_name="../certificate.pdf", content=content, content_type="application/pdf"),
    )
    file = item.evidence_file
    assert (file.file_name, file.sha256, file.size_bytes) == (
        "certificate.pdf",
        hashlib.sha256(content).hexdigest(),
        len(content),
    )
    assert item.note == "" and item.done
    view, stored = await onboarding.evidence_file_content(admin, file.id)
    assert stored == content and view == file
    # an already attached file can be cited by another item, with a note
    other = await onboarding.complete_checklist_item(
        admin, partner.id, "profiling", "due_diligence", note="same certificate", evidence_file_id=file.id
    )
    assert other.evidence_file.id == file.id and await EvidenceFile.count() == 1
    await refused(
        "ONE_FILE_PER_ITEM",
        onboarding.complete_checklist_item(
            admin,
            partner.id,
            "profiling",
            "agreement_signed",
            evidence_file_id=file.id,
            evidence=EvidenceUpload(file_name="b.pdf", content=b"b"),
        ),
    )


async def test_bad_files_are_refused_and_nothing_is_recorded(admin, partner):
    await refused(
        "EMPTY_FILE",
        onboarding.complete_checklist_item(
            admin, partner.id, "profiling", "company_verified", evidence=EvidenceUpload(file_name="empty.pdf", content=b"")
        ),
    )
    too_big = b"x" * (onboarding.MAX_EVIDENCE_BYTES + 1)
    await refused(
        "FILE_TOO_LARGE",
        onboarding.complete_checklist_item(
            admin, partner.id, "profiling", "company_verified", evidence=EvidenceUpload(file_name="big.bin", content=too_big)
        ),
    )
    assert await EvidenceFile.count() == 0 and await ChecklistCompletion.count() == 0


async def test_an_item_is_done_once(admin, partner):
    await onboarding.complete_checklist_item(admin, partner.id, "profiling", "company_verified", note="checked the register")
    await refused(
        "ITEM_ALREADY_DONE", onboarding.complete_checklist_item(admin, partner.id, "profiling", "company_verified", note="again")
    )


async def test_unknown_stage_and_item_are_named(admin, partner):
    await refused("UNKNOWN_STAGE", onboarding.complete_checklist_item(admin, partner.id, "launch", "x", note="n"))
    error = await refused("UNKNOWN_ITEM", onboarding.complete_checklist_item(admin, partner.id, "profiling", "x", note="n"))
    assert "company_verified" in error.errors[0].message


async def test_sign_off_needs_every_item(admin, partner):
    await onboarding.complete_checklist_item(admin, partner.id, "profiling", "company_verified", note="ok")
    error = await refused("CHECKLIST_INCOMPLETE", onboarding.sign_off_stage(admin, partner.id, "profiling"))
    assert "Partner agreement signed" in error.errors[0].message
    for item in ("contacts_confirmed", "agreement_signed", "due_diligence"):
        await onboarding.complete_checklist_item(admin, partner.id, "profiling", item, note="ok")
    stage = await onboarding.sign_off_stage(admin, partner.id, "profiling")
    assert stage.state == "signed_off" and stage.signed_off_by_label == admin.label
    await refused("STAGE_ALREADY_SIGNED_OFF", onboarding.sign_off_stage(admin, partner.id, "profiling"))


async def test_the_automated_uat_item_cannot_be_ticked_by_hand(admin, partner):
    for stage in ("profiling", "offer_setup", "eligibility"):
        await work_stage(admin, partner.id, stage)
    await refused(
        "ITEM_AUTOMATED", onboarding.complete_checklist_item(admin, partner.id, "uat", "sandbox_issuance", note="trust me")
    )
    await refused(
        "ITEM_NOT_AUTOMATED", onboarding.record_automated_check(admin, partner.id, "uat", "redemption_tested", note="run")
    )


async def test_blockers_say_what_stands_between_the_partner_and_go_live(admin, partner):
    blockers = await onboarding.go_live_blockers(admin, partner.id)
    codes = [blocker.code for blocker in blockers]
    assert codes.count("STAGE_NOT_SIGNED_OFF") == 5
    assert codes.count("ITEM_INCOMPLETE") == sum(len(stage.items) for stage in checklist.STAGES)
    assert blockers[0].stage == "profiling" and blockers[0].item == "company_verified"
    await work_stage(admin, partner.id, "profiling")
    assert not [b for b in await onboarding.go_live_blockers(admin, partner.id) if b.stage == "profiling"]


async def test_an_offboarded_partner_has_no_workflow(admin, partner):
    await profiles.offboard_partner(admin, partner.id, reason="withdrew")
    await refused(
        "PARTNER_NOT_ONBOARDING",
        onboarding.complete_checklist_item(admin, partner.id, "profiling", "company_verified", note="ok"),
    )
    assert [b.code for b in await onboarding.go_live_blockers(admin, partner.id)] == ["PARTNER_OFFBOARDED"]


async def test_every_step_lands_in_the_audit_log(admin, partner):
    await onboarding.complete_checklist_item(
        admin,
        partner.id,
        "profiling",
        "company_verified",
        note="register extract",
        evidence=EvidenceUpload(file_name="extract.pdf", content=b"pdf"),
    )
    actions = [entry["action"] for entry in await audit.entity_history(admin, "partner", partner.id)]
    assert actions == ["partner.checklist_item_done", "partner.evidence_attached", "partner.created"]
