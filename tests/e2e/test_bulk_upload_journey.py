"""A bulk reward file in a real browser: an admin uploads a file with errors for a campaign, reads
every bad row, fixes one in place, prices the file with the dry run and is refused as its own
approver; a second admin approves it, watches it being issued, and finds the issuances on the
campaign and on a recipient's page. A screenshot per step, under tests/e2e/screenshots/upload-*.png."""

from __future__ import annotations

import re

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates
CHECKER_EMAIL, CHECKER_PASSWORD = "checker@example.com", "another long password"

SETUP = """
import asyncio
from datetime import timedelta
from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.recipients import services

async def main():
    programme = await services.create_programme(SYSTEM, "Sales Stars", "INR", "0.25")
    for number in range(3):
        await services.upsert_recipient(SYSTEM, services.RecipientInput(
            external_id=f"EMP-{number}", full_name=f"Person {number}", email=f"person{number}@example.com",
            hr_attributes={"grade": number + 3, "department": "sales"}))
    now = utcnow()
    campaign = await campaigns.create_campaign(SYSTEM, CampaignInput(
        programme_id=programme.id, name="Q3 spot awards", reward_type="points", starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=60), budget=5000, max_rewards=100, recipient_max_count=3, recipient_window_days=30))
    await campaigns.activate_campaign(SYSTEM, campaign.id)

asyncio.run(main())
"""
FILE = (
    "external_id,full_name,email,points\r\n"
    "EMP-0,,,100\r\n"
    "NEW-1,,,200\r\n"  # line 3: a new recipient needs a name and a contact
    "EMP-1,,,abc\r\n"  # line 4: not a number
    "NEW-2,Nia New,nia@example.com,300\r\n"
    'EMP-2,,,=HYPERLINK("http://evil.example")\r\n'  # line 6: a formula-looking cell, never run
)


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def test_upload_with_errors_fix_a_row_approve_as_a_second_admin_and_see_the_issuances(
    console_server, worker, browser_page, shoot
) -> None:
    from playwright.sync_api import expect

    console_server.python(SETUP)
    console_server.mirabelle(
        "users", "create", "--email", CHECKER_EMAIL, "--name", "Chris Checker", "--role", "admin", "--password", CHECKER_PASSWORD
    )
    page, url = browser_page, console_server.url

    sign_in(page, f"{url}/campaigns", EMAIL, PASSWORD)
    expect(page.get_by_text("Q3 spot awards")).to_be_visible()
    shoot(page, "upload-01-campaigns")
    page.get_by_text("Q3 spot awards").click()
    expect(page.get_by_text("Remaining budget")).to_be_visible()
    shoot(page, "upload-02-campaign-editor")

    page.get_by_role("button", name="Upload rewards").click()
    page.wait_for_url(re.compile(r".*/uploads\?campaign="))
    expect(page.get_by_text("Upload a file")).to_be_visible()
    page.locator("input[type=file]").set_input_files({"name": "q3-spot.csv", "mimeType": "text/csv", "buffer": FILE.encode()})
    page.wait_for_url(re.compile(r".*/uploads/[0-9a-f-]{36}$"))
    review_url = page.url
    expect(page.get_by_text("Rows to fix")).to_be_visible()
    expect(page.get_by_text("points 'abc' is not a positive whole number")).to_be_visible()
    expect(page.get_by_text("NEW-1 is not a known recipient: full_name is required to create them")).to_be_visible()
    shoot(page, "upload-03-review")

    bad_rows = page.locator(".q-table").filter(has_text="What is wrong")
    bad_rows.locator("tr", has_text="NEW-1").get_by_role("button", name="Fix").click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("Fix line 3")).to_be_visible()
    dialog.get_by_label("full_name").fill("Nadia One")
    dialog.get_by_label("email").fill("nadia@example.com")
    shoot(page, "upload-04-fix-row")
    dialog.get_by_role("button", name="Save and check again").click()
    expect(page.get_by_text("Line 3 is valid now")).to_be_visible()
    expect(bad_rows.locator("tr", has_text="NEW-1")).to_have_count(0)

    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_text("Dry run: approving now would…")).to_be_visible()
    shoot(page, "upload-05-dry-run")

    # The uploader's Approve is disabled, the reason in words beside it; their own action is Withdraw.
    expect(page.get_by_role("button", name=re.compile(r"Approve and issue \d+ rows"))).to_be_disabled()
    expect(page.get_by_text("You uploaded this file; another admin must approve it.")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw")).to_be_visible()
    shoot(page, "upload-06-uploader-refused")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out")).to_be_visible()
    sign_in(page, review_url, CHECKER_EMAIL, CHECKER_PASSWORD)
    page.get_by_role("button", name=re.compile(r"Approve and issue \d+ rows")).click()
    page.locator(".q-dialog").get_by_role("button", name="Approve and issue").click()
    expect(page.get_by_text("issuing 3 rows in the background… see progress below")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Issued q3-spot\.csv: issued 3, waiting for approval 0, refused or failed 0"))
    ).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Done: 3 of 3 rows decided")).to_be_visible()
    shoot(page, "upload-07-issued")

    page.get_by_role("link", name="Campaign").click()
    expect(page.get_by_text("Issuances", exact=True)).to_be_visible()
    expect(page.get_by_text("Nia New (NEW-2)")).to_be_visible()
    expect(page.get_by_text("Nadia One (NEW-1)")).to_be_visible()
    shoot(page, "upload-08-campaign-issuances")

    page.get_by_text("Nia New (NEW-2)").click()
    page.wait_for_url(re.compile(r".*/recipients/[0-9a-f-]{36}$"))
    expect(page.get_by_role("link", name="Q3 spot awards")).to_be_visible()  # the reward, in the recipient's history
    expect(page.get_by_role("cell", name="300 points")).to_be_visible()
    shoot(page, "upload-09-recipient-rewards")
