"""The console's smaller courtesies in a real browser: a campaign's status reads as a label and
End stands apart from Save; API-key scopes read as words with their code once; the audit log names
its entities and matches an action anywhere. Screenshots under tests/e2e/screenshots/details-*.png."""

from __future__ import annotations

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"

SETUP = """
import asyncio
from datetime import timedelta
from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.recipients import services as service

async def main():
    programme = await service.create_programme(SYSTEM, "Sales Stars", "INR", "0.25")
    await service.create_recipient(SYSTEM, service.RecipientInput(external_id="E-1", full_name="Asha Rao", email="asha@example.com"))
    now = utcnow()
    campaign = await campaigns.create_campaign(SYSTEM, CampaignInput(
        programme_id=programme.id, name="Q3 spot awards", reward_type="points", starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=60), budget=5000, max_rewards=100))
    await campaigns.activate_campaign(SYSTEM, campaign.id)

asyncio.run(main())
"""


def sign_in(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def test_statuses_scopes_and_audit_names(console_server, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    console_server.python(SETUP)
    page, url = browser_page, console_server.url
    sign_in(page, f"{url}/campaigns")
    page.get_by_text("Q3 spot awards").click()
    status = page.locator(".mb-status").first
    expect(status).to_have_text("Active")
    assert status.evaluate("e => getComputedStyle(e).cursor") == "default"  # a label, not a control
    page.get_by_role("button", name="Edit", exact=True).click()  # a campaign opens read-only; Save comes with Edit
    end, save = page.get_by_role("button", name="End"), page.get_by_role("button", name="Save campaign")
    expect(save).to_be_visible()
    gap = save.bounding_box()["x"] - (end.bounding_box()["x"] + end.bounding_box()["width"])
    assert gap > 100, gap  # the irreversible action is not the neighbour of Save
    shoot(page, "details-01-campaign-header", full_page=False)

    page.goto(f"{url}/api-keys")
    page.get_by_role("button", name="New API key").click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("Keep offers and voucher stock up to date")).to_be_visible()
    expect(dialog.get_by_text("catalog:write", exact=True)).to_have_count(1)
    shoot(page, "details-02-api-key-scopes", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()

    page.goto(f"{url}/audit?action=created")
    expect(page.get_by_text("recipient · Asha Rao (E-1)")).to_be_visible()
    expect(page.get_by_text("programme · Sales Stars")).to_be_visible()
    expect(page.get_by_text("campaign · Q3 spot awards")).to_be_visible()
    shoot(page, "details-03-audit-names")
