"""A client-sourced partner onboarded from profile to live in a real browser: the profile, the offer
with its terms and voucher stock, the eligibility rule with its preview, the sandbox UAT run, and
go-live requested by one admin and approved by a second. A screenshot per step, under
tests/e2e/screenshots/onboarding-*.png."""

from __future__ import annotations

import re

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates
CHECKER_EMAIL, CHECKER_PASSWORD = "checker@example.com", "another long password"

# Sixty-odd people to count the eligibility preview over: grades 1..6, half of them in India.
STAFF = """
import asyncio
from backend.core.authz import SYSTEM
from backend.recipients import services
from backend.recipients.services.views import RecipientInput

async def main():
    for number in range(60):
        await services.upsert_recipient(SYSTEM, RecipientInput(
            external_id=f"EMP-{number:03}", full_name=f"Person {number}", email=f"person{number}@example.com",
            country="IN" if number % 2 else "DE", hr_attributes={"grade": number % 6 + 1}))

asyncio.run(main())
"""
STOCK = (
    "code,pin,denomination,expiry\n"
    + "".join(f"CHAI-{n:04}-XQ7P,{4000 + n},50000,\n" for n in range(12))
    + ("CHAI-0001-XQ7P,,50000,\nCHAI-9999-XQ7P,,12345,\n")
)


def quiet(page) -> None:
    """Clear the confirmations earlier steps left on screen, so a screenshot shows the page itself."""
    page.evaluate("document.querySelectorAll('.q-notification').forEach(note => note.remove())")


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def complete(page, label: str, note: str, file: tuple[str, bytes] | None = None) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name=f"Complete: {label}").click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text(label, exact=True)).to_be_visible()
    dialog.get_by_label("Note").fill(note)
    if file:
        name, content = file
        dialog.locator("input[type=file]").set_input_files({"name": name, "mimeType": "application/pdf", "buffer": content})
        expect(dialog.get_by_text(f"Attached: {name}", exact=False)).to_be_visible()
    dialog.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text(f"Done: {label}", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name=f"Complete: {label}")).to_have_count(0)


def sign_off(page, stage: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name=f"Sign off {stage}").click()
    page.locator(".q-dialog").get_by_role("button", name="Sign off", exact=True).click()
    expect(page.get_by_text(f"Signed off {stage} for Chai Point.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Sign off {stage}")).to_have_count(0)


def work(page, stage: str, items: list[str]) -> None:
    for label in items:
        complete(page, label, f"Checked with Ravi Menon: {label.lower()}.")
    sign_off(page, stage)


def test_a_client_sourced_partner_goes_from_profile_to_live(console_server, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    url, page = console_server.url, browser_page
    console_server.mirabelle(
        "users", "create", "--email", CHECKER_EMAIL, "--name", "Cleo Checker", "--role", "admin", "--password", CHECKER_PASSWORD
    )
    console_server.python(STAFF)

    # 1. The profile
    sign_in(page, f"{url}/partners", EMAIL, PASSWORD)
    page.get_by_role("button", name="New partner").click()
    dialog = page.locator(".q-dialog")
    dialog.get_by_label("Name", exact=True).fill("Chai Point")
    dialog.get_by_label("Category").fill("Dining")
    dialog.get_by_label("Countries served").click()
    page.keyboard.type("India")
    page.get_by_role("option", name="India (IN)").click()
    page.keyboard.press("Escape")
    dialog.get_by_label("Reward types").click()
    page.get_by_role("option", name="Voucher").click()
    page.get_by_role("option", name="Gift card").click()
    page.keyboard.press("Escape")
    dialog.get_by_label("Audience fit").fill("Office staff in Indian metros; a daily tea and snack break.")
    dialog.get_by_label("Contact name").fill("Ravi Menon")
    dialog.get_by_label("Role").fill("Partnerships")
    dialog.get_by_label("Email").fill("ravi@chaipoint.example")
    dialog.get_by_label("Phone (international, e.g. +91 …)").fill("+91 98123 45678")
    shoot(page, "onboarding-01-profile-form")
    dialog.get_by_role("button", name="Create partner").click()
    page.wait_for_url(re.compile(r".*/partners/[0-9a-f-]{36}$"))
    partner_url = page.url
    expect(page.get_by_text("Profiling: 4 items open, not signed off")).to_be_visible()
    shoot(page, "onboarding-02-checklist-new")

    complete(
        page,
        "Company identity and registration verified",
        "Registration checked on the MCA register, CIN U55101KA2010PTC052178.",
        file=("certificate-of-incorporation.pdf", b"%PDF-1.4 certificate"),
    )
    work(
        page,
        "Profiling",
        ["Commercial and support contacts confirmed", "Partner agreement signed", "Due-diligence review passed"],
    )
    quiet(page)
    shoot(page, "onboarding-03-profiling-signed-off")

    # 2. Offer set-up & terms: the offer, its terms, its voucher stock
    page.get_by_role("button", name="New offer").click()
    page.wait_for_url(re.compile(r".*/offers/new\?partner="))
    page.get_by_label("Title").fill("Chai Point e-voucher")
    page.get_by_label("Description").fill("Tea, coffee and snacks at any Chai Point outlet.")
    page.get_by_label("Category", exact=True).fill("Dining")
    page.get_by_label("Image URL (https)").fill("https://cdn.chaipoint.example/voucher.png")
    page.get_by_label("Amounts (e.g. 500, 1,000, 2,500)").fill("500, 1,000")
    page.get_by_label("Low-stock alert at (codes; 0 = no alert)").fill("5")
    page.get_by_label("Terms", exact=True).fill(
        "Valid at all Chai Point outlets in India for 12 months. Not exchangeable for cash."
    )

    # 3. The eligibility rule, previewed as it is typed
    rule = page.get_by_label("Rule (empty: every recipient)")
    rule.fill("country in [IN, DE")
    expect(page.get_by_text("Invalid rule at position 18: expected ']'").first).to_be_visible()
    shoot(page, "onboarding-04-offer-rule-invalid")
    rule.fill("country in [IN] and grade >= 4")
    expect(page.get_by_text("20 of 60 recipients eligible (33%)")).to_be_visible()
    shoot(page, "onboarding-05-offer-editor")
    page.get_by_role("button", name="Create offer").click()
    page.wait_for_url(re.compile(r".*/offers/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Version 1 · admin@example.com", exact=False)).to_be_visible()

    page.get_by_role("button", name="Stock").click()
    page.wait_for_url(re.compile(r".*/stock$"))
    page.locator("input[type=file]").set_input_files(
        {"name": "chai-point-codes.csv", "mimeType": "text/csv", "buffer": STOCK.encode()}
    )
    expect(page.get_by_text("14 rows read · 12 imported · 2 rejected")).to_be_visible()
    expect(page.get_by_text("duplicate of the code on line 3")).to_be_visible()
    expect(page.get_by_text("••••••••XQ7P").first).to_be_visible()  # codes are shown masked
    assert "CHAI-0003-XQ7P" not in page.content()
    page.get_by_text("chai-point-codes.csv: imported 12 of 14 rows", exact=False).click()  # dismiss the message
    shoot(page, "onboarding-06-stock-import-report")

    page.goto(partner_url)
    work(
        page,
        "Offer set-up & terms",
        [
            "Offers configured: denominations, expiry, creative",
            "Terms & conditions reviewed and approved",
            "Voucher stock loaded or fulfilment path agreed",
        ],
    )
    work(
        page,
        "Eligibility rules",
        ["Eligibility rules written for every offer", "Eligibility preview reviewed with the programme owner"],
    )

    # 4. UAT: the sandbox issuance, then the hand-tested items
    quiet(page)
    page.get_by_role("button", name="Run sandbox UAT").click()
    expect(page.get_by_text("Sandbox issuance passed")).to_be_visible()
    shoot(page, "onboarding-07-uat-passed", full_page=False)
    page.locator(".q-dialog").get_by_role("button", name="Close").click()
    work(page, "Testing & UAT", ["Redemption tested with the partner", "Complaint and support path tested"])
    work(
        page,
        "Go-live",
        ["Launch date agreed with the partner", "Support desk briefed", "Stock and performance monitoring in place"],
    )
    expect(page.get_by_text("Every stage is signed off: request go-live.")).to_be_visible()

    # 5. Go-live: admin A requests, and cannot approve their own request
    quiet(page)
    page.get_by_role("button", name="Request go-live").click()
    page.locator(".q-dialog").get_by_label("Note for the approver (optional)").fill("Launch with the Diwali campaign.")
    page.locator(".q-dialog").get_by_role("button", name="Request go-live").click()
    expect(page.get_by_text("You requested this go-live; another admin must approve it", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="Approve go-live")).to_be_disabled()
    shoot(page, "onboarding-08-go-live-requested")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out")).to_be_visible()

    # 6. Admin B approves: the partner is live
    sign_in(page, partner_url, CHECKER_EMAIL, CHECKER_PASSWORD)
    expect(page.get_by_text("Requested by admin@example.com, ", exact=False)).to_be_visible()
    page.get_by_role("button", name="Approve go-live").click()
    page.locator(".q-dialog").get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved: Chai Point is live.")).to_be_visible()
    expect(page.get_by_text("Approved by checker@example.com", exact=False)).to_be_visible()
    shoot(page, "onboarding-09-partner-live")

    with page.expect_download() as download:
        page.get_by_role("button", name="Export trail").click()
    assert download.value.suggested_filename.startswith("onboarding-trail-chai-point-")

    page.get_by_text("Partners", exact=True).click()
    page.wait_for_url(f"{url}/partners")
    expect(page.get_by_text("Completed")).to_be_visible()
    shoot(page, "onboarding-10-partners-list")
