"""The sandbox UAT run, and the whole onboarding of a client-sourced partner from profile to live."""

import pytest
from catalogue_steps import offer_input, onboard_to_live, profile, stock_file, work_stage

from backend.catalog.services import allocation, offers, stock, stock_import, uat
from backend.catalog.tables import VoucherCode
from backend.core import audit
from backend.core.errors import DomainError
from backend.partners import checklist
from backend.partners.services import onboarding, profiles, trail_export


async def partner_at_uat(admin, name="Tea Trails"):
    partner = await profiles.create_partner(admin, profile(name=name))
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms="T&C")
    await stock_import.import_voucher_codes(admin, offer.id, stock_file("TEA-0001,1,100000,", "TEA-0002,2,50000,"), "stock.csv")
    for stage in (checklist.PROFILING, checklist.OFFER_SETUP, checklist.ELIGIBILITY):
        await work_stage(admin, partner.id, stage)
    return partner, offer


async def test_the_run_issues_in_sandbox_and_records_its_evidence(admin):
    partner, offer = await partner_at_uat(admin)
    run = await uat.run_sandbox_issuance(admin, partner.id, offer.id)
    assert [step.name for step in run.steps] == ["allocated", "confirmed", "released"]
    assert run.denomination == 50000 and run.code_masked == "••••••••0002"  # the smallest stocked denomination
    item = next(
        i for s in (await onboarding.onboarding(admin, partner.id)).stages for i in s.items if i.key == "sandbox_issuance"
    )
    assert (
        item.done
        and item.note == run.evidence_note
        and "Result: passed." in item.note
        and str(run.sandbox_issuance_id) in item.note
    )
    # stock is as it was: both codes available, nothing allocated to the sandbox issuance
    assert [
        (lvl.denomination, lvl.available, lvl.allocated, lvl.confirmed) for lvl in await stock.stock_levels(admin, offer.id)
    ] == [(50000, 1, 0, 0), (100000, 1, 0, 0)]
    assert await allocation.allocation_for(admin, run.sandbox_issuance_id) is None
    code_id = (await VoucherCode.select(VoucherCode.id).where(VoucherCode.denomination == 50000).first())["id"]
    actions = [entry["action"] for entry in await audit.entity_history(admin, "voucher_code", code_id)]
    assert actions == ["voucher_code.released", "voucher_code.confirmed", "voucher_code.allocated"]


async def test_a_run_before_its_stage_opens_changes_nothing(admin):
    partner = await profiles.create_partner(admin, profile(name="Too Early"))
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms="T&C")
    await stock_import.import_voucher_codes(admin, offer.id, stock_file("E-1,1,50000,"), "stock.csv")
    with pytest.raises(DomainError) as caught:
        await uat.run_sandbox_issuance(admin, partner.id, offer.id)
    assert caught.value.code == "STAGE_LOCKED"
    assert [(lvl.available, lvl.allocated, lvl.confirmed) for lvl in await stock.stock_levels(admin, offer.id)] == [(1, 0, 0)]
    assert (await audit.entity_history(admin, "partner", partner.id))[0]["action"] == "partner.uat_failed"


async def test_a_run_needs_stock_and_the_partners_own_offer(admin):
    partner, offer = await partner_at_uat(admin)
    empty = await offers.create_offer(admin, partner.id, offer_input(title="Empty"), terms="T&C")
    with pytest.raises(DomainError) as caught:
        await uat.run_sandbox_issuance(admin, partner.id, empty.id)
    assert caught.value.code == "OUT_OF_STOCK"
    other, _ = await partner_at_uat(admin, name="Other Partner")
    with pytest.raises(DomainError) as caught:
        await uat.run_sandbox_issuance(admin, other.id, offer.id)
    assert caught.value.code == "OFFER_OF_ANOTHER_PARTNER"


async def test_a_client_sourced_partner_goes_from_profile_to_live(admin, checker):
    partner, offer = await onboard_to_live(admin, checker, name="Corner Bakery")
    assert partner.status == "live" and partner.source == "client_sourced"
    view = await onboarding.onboarding(admin, partner.id)
    assert all(stage.state == "signed_off" for stage in view.stages) and view.current_stage is None
    assert view.go_live_request.status == "approved" and view.go_live_request.decided_by_label == checker.label
    published = await offers.change_offer_status(admin, offer.id, "live")
    assert published.is_available
    export = await trail_export.export_onboarding_trail(admin, partner.id)
    assert export.csv_text.count("\r\n") == 1 + 15 + 5 + 2  # header, items, sign-offs, request and decision
    assert "Result: passed." in export.csv_text
