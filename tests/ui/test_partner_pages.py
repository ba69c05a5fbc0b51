"""The Partners pages: the list (filters on the server, status and stage badges), the onboarding
checklist (evidence, sign-off, what blocks go-live), the UAT run, maker-checker go-live and the
onboarding trail export."""

from __future__ import annotations

import csv
import io
import os
import sys

import pytest
from nicegui import ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue's and partners' steps

from catalogue_steps import offer_input, onboard_to_live, profile, stock_file, work_stage

from backend.access import services as access
from backend.catalog.services import offers, stock_import, uat
from backend.core.authz import Actor
from backend.core.errors import DomainError
from backend.partners import checklist
from backend.partners.services import go_live, onboarding, profiles
from ui.components import watch

PASSWORD = "a long enough password"


def text_of(user: User, marker: str) -> str:
    return next(iter(user.find(marker=marker).elements)).text


def props_of(user: User, marker: str) -> dict:
    return next(iter(user.find(marker=marker).elements)).props


async def signed_off_through(admin: Actor, partner_id, last_stage: str) -> None:
    for stage in checklist.STAGE_KEYS[: checklist.STAGE_KEYS.index(last_stage) + 1]:
        await work_stage(admin, partner_id, stage)


@pytest.fixture
async def partners(admin: Actor):
    """Chai Point (client-sourced, onboarding, eligibility stage), Globe Travel (network, profiling)
    and Metro Books (taken live by the admin and a second admin)."""
    chai = await profiles.create_partner(admin, profile(name="Chai Point"))
    await signed_off_through(admin, chai.id, checklist.OFFER_SETUP)
    globe = await profiles.create_partner(
        admin, profile(name="Globe Travel", source="network", category="Travel", countries=["DE"], reward_types=["experience"])
    )
    checker = access.actor_for_user(await access.create_user(admin, "checker@example.com", "Cleo Checker", PASSWORD, ["admin"]))
    metro, _ = await onboard_to_live(admin, checker, name="Metro Books")
    return chai, globe, metro


async def test_the_list_shows_stage_badges_and_filters_on_the_server(console: User, partners, table, eventually) -> None:
    chai, _, _ = partners
    await console.open("/partners")
    listed = table(console, "partners-table")
    await eventually(lambda: listed.pagination["rowsNumber"] == 3)
    rows = {row["name"]: row for row in listed.rows}
    assert (rows["Chai Point"]["status"], rows["Chai Point"]["stage"], rows["Chai Point"]["stage_colour"]) == (
        "Onboarding",
        "3/5 · Eligibility rules",
        "primary",
    )
    assert (rows["Globe Travel"]["stage"], rows["Globe Travel"]["source"], rows["Globe Travel"]["countries"]) == (
        "1/5 · Profiling",
        "Network",
        "DE",
    )
    assert (rows["Metro Books"]["status"], rows["Metro Books"]["status_colour"], rows["Metro Books"]["stage"]) == (
        "Live",
        "positive",
        "Completed",
    )
    assert rows["Chai Point"]["href"] == f"/partners/{chai.id}"

    next(iter(console.find(marker="filter-status").elements)).set_value("live")
    await eventually(lambda: [row["name"] for row in listed.rows] == ["Metro Books"])
    next(iter(console.find(marker="filter-status").elements)).set_value(None)
    next(iter(console.find(marker="filter-source").elements)).set_value("network")
    await eventually(lambda: [row["name"] for row in listed.rows] == ["Globe Travel"])
    next(iter(console.find(marker="filter-source").elements)).set_value(None)
    next(iter(console.find(marker="filter-country").elements)).set_value("IN")
    await eventually(lambda: [row["name"] for row in listed.rows] == ["Chai Point", "Metro Books"])
    console.find(marker="filter-search").type("chai")
    await eventually(lambda: [row["name"] for row in listed.rows] == ["Chai Point"])


async def test_a_new_partner_starts_onboarding_and_bad_input_is_shown_under_its_field(console: User, admin, patience) -> None:
    await console.open("/partners")
    console.find(marker="new-partner").click()
    await console.should_see(marker="partner-dialog", retries=patience)
    console.find(marker="partner-name").type("Lotus Spa")
    console.find(marker="partner-category").type("Wellness")
    console.find(marker="contact-name").type("Mira Shah")
    console.find(marker="contact-email").type("not an email")
    console.find(marker="save-partner").click()
    await console.should_see("Name at least one country the partner serves.", retries=patience)
    assert (await profiles.list_partners(admin)).total == 0

    next(iter(console.find(marker="partner-countries").elements)).set_value(["IN"])
    next(iter(console.find(marker="partner-reward-types").elements)).set_value(["experience"])
    console.find(marker="contact-email").clear().type("mira@lotus.example")
    console.find(marker="save-partner").click()
    await console.should_see("Created Lotus Spa: onboarding starts with profiling.", retries=patience)
    await console.should_see(marker="checklist", retries=patience)
    [created] = (await profiles.list_partners(admin)).rows
    assert (created.name, created.status, created.countries, created.contacts[0].email) == (
        "Lotus Spa",
        "onboarding",
        ("IN",),
        "mira@lotus.example",
    )


async def test_an_item_is_done_only_with_evidence_and_shows_who_when_and_the_file(
    console: User, admin, partners, patience, eventually
) -> None:
    _, globe, _ = partners
    await console.open(f"/partners/{globe.id}")
    await console.should_see(marker="stage-profiling", retries=patience)
    assert text_of(console, "blocker-profiling") == "Profiling: 4 items open, not signed off"
    assert props_of(console, "sign-off-profiling").get("disable") is True

    console.find(marker="complete-company_verified").click()
    await console.should_see(marker="evidence-dialog", retries=patience)
    console.find(marker="save-evidence").click()
    await console.should_see("needs evidence: a note, a file, or both", retries=patience)
    assert (await onboarding.onboarding(admin, globe.id)).stages[0].items_done == 0

    console.find(marker="evidence-note").type("Checked against the Handelsregister, HRB 1234")
    upload = next(iter(console.find(marker="evidence-upload").elements))
    await upload.handle_uploads([ui.upload.SmallFileUpload("register-extract.pdf", "application/pdf", b"%PDF-1.4 extract")])
    await console.should_see("Attached: register-extract.pdf", retries=patience)
    console.find(marker="save-evidence").click()
    await console.should_see("Done: Company identity and registration verified, with register-extract.pdf.", retries=patience)
    await console.should_see(marker="file-company_verified", retries=patience)
    assert text_of(console, "note-company_verified") == "Checked against the Handelsregister, HRB 1234"
    assert text_of(console, "done-by-company_verified").startswith("admin@example.com · ")
    item = (await onboarding.onboarding(admin, globe.id)).stages[0].items[0]
    assert (item.done, item.evidence_file.file_name, item.completed_by_label) == (
        True,
        "register-extract.pdf",
        "admin@example.com",
    )
    assert text_of(console, "blocker-profiling") == "Profiling: 3 items open, not signed off"

    console.find(marker="file-company_verified").click()  # the evidence downloads as it was uploaded
    response = await console.download.next(timeout=5)
    assert response.content == b"%PDF-1.4 extract"


async def test_a_stage_is_signed_off_once_its_items_are_done_and_the_next_one_opens(
    console: User, admin, partners, patience
) -> None:
    _, globe, _ = partners
    await work_stage(admin, globe.id, checklist.PROFILING, sign_off=False)
    await console.open(f"/partners/{globe.id}")
    await console.should_see(marker="sign-off-profiling", retries=patience)
    assert text_of(console, "stage-state-offer_setup") == "Locked"
    console.find(marker="sign-off-profiling").click()
    await console.should_see(marker="sign-off-dialog", retries=patience)
    console.find(marker="sign-off-note").type("all four checks reviewed")
    console.find(marker="confirm-sign-off").click()
    await console.should_see("Signed off Profiling for Globe Travel.", retries=patience)
    await console.should_see(marker="signed-off-profiling", retries=patience)
    assert text_of(console, "stage-state-offer_setup") == "In progress"
    assert (await onboarding.onboarding(admin, globe.id)).current_stage == checklist.OFFER_SETUP


async def test_the_uat_run_records_the_sandbox_issuance_as_evidence(console: User, admin, partners, patience) -> None:
    chai, _, _ = partners
    offer = await offers.create_offer(admin, chai.id, offer_input(title="Chai Point e-voucher"), terms="Terms.")
    await stock_import.import_voucher_codes(admin, offer.id, stock_file("CHA-0001,1001,50000,"), "stock.csv")
    await work_stage(admin, chai.id, checklist.ELIGIBILITY)
    await console.open(f"/partners/{chai.id}")
    await console.should_see(marker="run-uat", retries=patience)
    console.find(marker="run-uat").click()
    await console.should_see(
        "UAT passed on Chai Point e-voucher: the sandbox issuance is recorded as evidence.", retries=patience
    )
    await console.should_see(marker="uat-result", retries=patience)
    await console.should_see(marker="note-sandbox_issuance", retries=patience)
    item = (await onboarding.onboarding(admin, chai.id)).stages[3].items[0]
    assert item.done and "Result: passed." in item.note


async def test_the_requester_cannot_approve_and_a_second_admin_makes_the_partner_live(
    admin,
    user: User,
    sign_in,
    create_person,
    partners,
    patience,
    eventually,
) -> None:
    _, globe, _ = partners
    offer = await offers.create_offer(admin, globe.id, offer_input(title="Berlin city tour"), terms="Terms.")
    await stock_import.import_voucher_codes(admin, offer.id, stock_file("GLO-0001,,50000,"), "stock.csv")
    await signed_off_through(admin, globe.id, checklist.ELIGIBILITY)
    await uat.run_sandbox_issuance(admin, globe.id, offer.id)
    await work_stage(admin, globe.id, checklist.UAT)
    await work_stage(admin, globe.id, checklist.GO_LIVE)
    await create_person("second@example.com", ["admin"])

    await sign_in(path=f"/partners/{globe.id}")  # admin A, the maker
    await user.should_see(marker="blocker-go_live_not_requested", retries=patience)
    user.find(marker="request-go-live").click()
    await user.should_see(marker="go-live-dialog", retries=patience)
    user.find(marker="go-live-note").type("launch on Monday")
    user.find(marker="confirm-go-live").click()
    await user.should_see("Go-live requested for Globe Travel: a second admin must approve it.", retries=patience)
    await user.should_see(marker="maker-reason", retries=patience)
    await user.should_see("You requested this go-live; another admin must approve it. You may withdraw it.")
    await user.should_see(marker="withdraw-go-live")
    await user.should_not_see(marker="reject-go-live")
    assert props_of(user, "approve-go-live").get("disable") is True
    with pytest.raises(DomainError) as refused:  # the service refuses it too, whatever the page offers
        await go_live.approve_go_live(admin, globe.id)
    assert refused.value.code == "SELF_APPROVAL"
    assert (await profiles.get_partner(admin, globe.id)).status == "onboarding"

    user.find(marker="sign-out").click()
    await user.should_see("You are signed out", retries=patience)
    await sign_in("second@example.com", PASSWORD, path=f"/partners/{globe.id}")  # admin B, the checker
    await user.should_see(marker="approve-go-live", retries=patience)
    await user.should_not_see(marker="maker-reason")
    assert not props_of(user, "approve-go-live").get("disable")
    user.find(marker="approve-go-live").click()
    await user.should_see(marker="go-live-dialog", retries=patience)
    user.find(marker="confirm-go-live").click()
    await user.should_see("Approved: Globe Travel is live.", retries=patience)
    await user.should_see(marker="partner-is-live", retries=patience)
    assert text_of(user, "approved-by").startswith("Approved by second@example.com")
    assert (await profiles.get_partner(admin, globe.id)).status == "live"


async def test_the_onboarding_trail_downloads_as_csv(console: User, admin, partners, patience) -> None:
    chai, _, _ = partners
    await console.open(f"/partners/{chai.id}")
    await console.should_see(marker="export-trail", retries=patience)
    console.find(marker="export-trail").click()
    response = await console.download.next(timeout=5)
    await console.should_see("Exported the onboarding trail to onboarding-trail-chai-point-", retries=patience)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    signed = [(row["stage"], row["status"]) for row in rows if row["step"] == "stage sign-off"]
    assert signed[:3] == [("Profiling", "signed_off"), ("Offer set-up & terms", "signed_off"), ("Eligibility rules", "open")]
    assert {row["by"] for row in rows if row["status"] == "done"} == {"admin@example.com"}


async def test_a_viewer_reads_the_checklist_but_cannot_work_it(
    admin, user: User, sign_in, create_person, partners, patience
) -> None:
    chai, _, _ = partners
    await create_person("viewer@example.com", ["viewer"])
    await sign_in("viewer@example.com", PASSWORD, path=f"/partners/{chai.id}")
    await user.should_see(marker="stage-eligibility", retries=patience)
    await user.should_see("You need the permission “partners:write” to request or approve go-live.")
    await user.should_not_see(marker="complete-rules_defined")
    await user.should_not_see(marker="edit-partner")
    await user.should_not_see(marker="nav-ranking")
    await user.open("/partners/not-an-id")
    await user.should_see("There is no partner with id not-an-id.", retries=patience)


async def test_the_page_follows_another_admins_decision_so_a_stale_withdraw_is_not_offered(
    admin, user: User, sign_in, partners, patience, eventually, monkeypatch
) -> None:
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.2)
    _, globe, _ = partners
    offer = await offers.create_offer(admin, globe.id, offer_input(title="Berlin city tour"), terms="Terms.")
    await stock_import.import_voucher_codes(admin, offer.id, stock_file("GLO-0001,,50000,"), "stock.csv")
    await signed_off_through(admin, globe.id, checklist.ELIGIBILITY)
    await uat.run_sandbox_issuance(admin, globe.id, offer.id)
    await work_stage(admin, globe.id, checklist.UAT)
    await work_stage(admin, globe.id, checklist.GO_LIVE)
    await go_live.request_go_live(admin, globe.id, "launch on Monday")
    second = access.actor_for_user(await access.create_user(admin, "second@example.com", "Second", PASSWORD, ["admin"]))

    await sign_in(path=f"/partners/{globe.id}")  # the maker, offered Withdraw
    await user.should_see(marker="withdraw-go-live", retries=patience)
    await go_live.approve_go_live(second, globe.id, "looks good")  # elsewhere, by the checker
    await user.should_see(marker="partner-is-live", retries=patience)
    await user.should_not_see(marker="withdraw-go-live")
    await user.should_see("Another admin changed this meanwhile: the page shows it as it is now.")
