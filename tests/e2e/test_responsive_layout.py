"""The one layout in a real browser at a laptop's 1440 × 900 and a phone's 390 × 844: on the phone a
menu button opens and closes the navigation (again and again), cards stack, and tables scroll inside
their card; on neither does the page scroll sideways nor a table spill out of its card.
Screenshots under tests/e2e/screenshots/layout-*.png."""

from __future__ import annotations

from pathlib import Path

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates

SETUP = """
import asyncio
from datetime import timedelta
from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.recipients import services
from backend.rewards.services.issuance import RewardRequest, issue_reward
from backend.partners.services import profiles
from backend.access import services as access
from backend.ledger.services import adjustments
from tests.partners.onboarding_steps import profile

async def main():
    programme = await services.create_programme(SYSTEM, "Sales Stars with a rather long programme name", "INR", "0.25")
    recipient = (await services.upsert_recipient(SYSTEM, services.RecipientInput(
        external_id="EMP-0001-WITH-A-LONG-EXTERNAL-IDENTIFIER", full_name="Parvathi Subramaniam-Ramakrishnan",
        email="parvathi.subramaniam-ramakrishnan@example-corporation.com",
        hr_attributes={"grade": 7, "department": "enterprise sales and partnerships", "location": "Bengaluru"}))).recipient
    now = utcnow()
    campaign = await campaigns.create_campaign(SYSTEM, CampaignInput(
        programme_id=programme.id, name="Q3 spot awards for the enterprise sales organisation", reward_type="points",
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=60), budget=50000, max_rewards=100,
        recipient_max_count=5, recipient_window_days=30))
    await campaigns.activate_campaign(SYSTEM, campaign.id)
    for number in range(3):
        await issue_reward(SYSTEM, RewardRequest(campaign_id=campaign.id, recipient_id=recipient.id, offer_id=None,
            value=100 + number, idempotency_key=f"layout-{number}", source_event=f"pos:sale:{number}"))
    partner = await profiles.create_partner(SYSTEM, profile(name="Chai Point and Snacks of the South"))
    checker = access.actor_for_user(await access.create_user(
        SYSTEM, "cleo@example.com", "Cleo Checker", "another long password", ["admin"]))
    await adjustments.request_adjustment(checker, programme.id, recipient.id, "credit", 500, "missed bonus")
    print(recipient.id, partner.id)

asyncio.run(main())
"""

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
# Each table's scrolling box stays inside the card around it (its content may scroll within it).
TABLES_INSIDE = """() => [...document.querySelectorAll('.q-table__container')].every(table => {
    const box = table.getBoundingClientRect();
    return box.right <= document.documentElement.clientWidth + 1 && box.left >= -1;
})"""
# At a laptop's width nothing in a table needs to scroll at all.
TABLES_FIT = """() => [...document.querySelectorAll('.q-table__middle')].every(
    middle => middle.scrollWidth <= middle.clientWidth + 1)"""


def _sign_in(page, url: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")


def _inbox_leads_to_the_approval(page, url: str, shoot, width: str) -> None:
    """The home lists the adjustment another admin asked for, with a badge on its menu entry; the
    item opens the approvals page, where it is acted on."""
    from playwright.sync_api import expect

    item = page.get_by_text("1 points adjustment awaits your approval")
    expect(item).to_be_visible()
    expect(page.locator(".q-drawer .q-badge").filter(has_text="1").first).to_be_attached()
    shoot(page, f"layout-{width}-inbox", full_page=False)
    item.click()
    page.wait_for_url(f"{url}/approvals")
    expect(page.get_by_text("missed bonus").first).to_be_visible()
    shoot(page, f"layout-{width}-approvals-from-inbox")


def _seeded(console_server) -> tuple[str, str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        env=console_server.env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    recipient_id, partner_id = done.stdout.decode().strip().splitlines()[-1].split()
    return recipient_id, partner_id


def _pages(url: str, recipient_id: str, partner_id: str) -> dict[str, str]:
    return {
        "home": f"{url}/",
        "recipients": f"{url}/recipients",
        "recipient": f"{url}/recipients/{recipient_id}",
        "wallet": f"{url}/points?recipient={recipient_id}",
        "audit": f"{url}/audit",
        "partner": f"{url}/partners/{partner_id}",
    }


def test_laptop_width_has_no_table_spilling_out(console_server, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    seeded = _seeded(console_server)
    page = browser_page
    _sign_in(page, console_server.url)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()  # the navigation is always there
    expect(page.locator(".q-drawer")).to_be_visible()
    _inbox_leads_to_the_approval(page, console_server.url, shoot, "1440")
    for name, address in _pages(console_server.url, *seeded).items():
        page.goto(address)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(400)
        shoot(page, f"layout-1440-{name}")
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name} scrolls sideways at 1440 px"
        assert page.evaluate(TABLES_INSIDE), f"a table on {name} spills out of its card at 1440 px"
        assert page.evaluate(TABLES_FIT), f"a table on {name} overflows at 1440 px"


def test_phone_width_menu_opens_and_closes_and_nothing_scrolls_sideways(console_server, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    seeded = _seeded(console_server)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, console_server.url)
    drawer = page.locator(".q-drawer")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(drawer).to_be_hidden()  # the content is not covered
    _inbox_leads_to_the_approval(page, console_server.url, shoot, "390")
    page.goto(f"{console_server.url}/")
    shoot(page, "layout-390-home-closed", full_page=False)
    for turn in range(2):  # it opens again after being closed
        menu.click()
        expect(drawer).to_be_visible()
        if turn == 0:
            shoot(page, "layout-390-menu-open", full_page=False)
        menu.click() if turn == 0 else page.keyboard.press("Escape")
        if turn == 1:  # Escape may not close a Quasar drawer: the backdrop does
            page.mouse.click(380, 420)
        expect(drawer).to_be_hidden()
    menu.click()
    page.locator(".q-drawer").get_by_text("Recipients", exact=True).last.click()
    page.wait_for_url(f"{console_server.url}/recipients")
    expect(drawer).to_be_hidden()
    for name, address in _pages(console_server.url, *seeded).items():
        page.goto(address)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(400)
        shoot(page, f"layout-390-{name}")
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name} scrolls sideways at 390 px"
        assert page.evaluate(TABLES_INSIDE), f"a table on {name} spills out of its card at 390 px"
