"""Replacing an under-performing partner in a real browser: admin A opens the partner's corrective
actions, requests its replacement by a live partner (offer by offer) and cannot approve it; admin B
sees it in the inbox, approves it on the partner's page, and the old offer is retired while the
campaign now lists the replacement. Screenshots under tests/e2e/screenshots/actions-*.png."""

from __future__ import annotations

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates
CHECKER_EMAIL, CHECKER_PASSWORD = "checker@example.com", "another long password"

# Two live partners with a live offer each, people, and campaigns listing the old offer (the steps
# the service tests use).
SCENE = """
import asyncio, sys
sys.path[:0] = ["tests/insight_actions", "tests/campaigns", "tests/catalog", "tests/partners"]
from action_steps import scene
from campaign_steps import role_actor

asyncio.run(scene(role_actor("admin", "Ada Admin"), role_actor("admin", "Cleo Checker")))
"""


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def quiet(page) -> None:
    page.evaluate("document.querySelectorAll('.q-notification').forEach(note => note.remove())")


def test_a_partner_is_replaced_by_two_admins(console_server, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    console_server.python(SCENE)
    console_server.mirabelle(
        "users", "create", "--email", CHECKER_EMAIL, "--name", "Cleo Checker", "--role", "admin", "--password", CHECKER_PASSWORD
    )
    page, url = browser_page, console_server.url
    sign_in(page, f"{url}/partners", EMAIL, PASSWORD)
    page.get_by_text("Slow Coffee", exact=True).click()
    page.wait_for_url(f"{url}/partners/*")
    partner_url = page.url

    # 1. Admin A: Corrective actions → Replace partner
    page.get_by_role("button", name="Corrective actions").click()
    page.get_by_text("Replace partner", exact=True).click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("Replace Slow Coffee")).to_be_visible()
    dialog.get_by_label("Replacement partner (live)").click()
    page.get_by_role("option", name="Fast Tea").click()
    expect(dialog.get_by_text("Slow Coffee e-voucher (INR)")).to_be_visible()
    dialog.get_by_label("Why").fill("Activation under 20 % for three months")
    shoot(page, "actions-01-replace-dialog", full_page=False)
    dialog.get_by_role("button", name="Request replacement").click()
    expect(page.get_by_text("Replacement requested: a second admin approves it.")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Partner replacement awaiting approval")).to_be_visible()
    # The one approval pattern: the maker sees Approve disabled with the reason, and may Withdraw.
    expect(page.get_by_text("You requested this replacement; a second admin approves or rejects it.")).to_be_visible()
    expect(page.get_by_role("button", name="Approve replacement")).to_be_disabled()
    expect(page.get_by_role("button", name="Withdraw")).to_be_visible()
    quiet(page)
    shoot(page, "actions-02-requested")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out")).to_be_visible()

    # 2. Admin B: the inbox, then the approval on the partner's page
    sign_in(page, url, CHECKER_EMAIL, CHECKER_PASSWORD)
    expect(page.get_by_text("1 partner replacement awaits your approval")).to_be_visible()
    shoot(page, "actions-03-inbox")
    page.goto(partner_url)
    expect(page.get_by_text("Slow Coffee → Fast Tea")).to_be_visible()
    page.get_by_role("button", name="Approve replacement").click()
    expect(page.get_by_text("Approved: Fast Tea replaces Slow Coffee.")).to_be_visible()
    expect(page.get_by_text("Partner replacement awaiting approval")).to_have_count(0)
    expect(page.locator("[data-testid=partner-offers], .mb-card").get_by_text("Retired").first).to_be_visible()
    quiet(page)
    shoot(page, "actions-04-approved")

    # 3. The campaign now lists the replacement
    page.goto(f"{url}/campaigns")
    page.get_by_text("Festive vouchers", exact=True).click()
    expect(page.get_by_text("Fast Tea e-voucher", exact=False).first).to_be_visible()
    expect(page.get_by_text("Slow Coffee e-voucher", exact=False)).to_have_count(0)
    shoot(page, "actions-05-campaign")


def test_a_promotional_push_reaches_the_sandbox(console_server, worker, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    console_server.python(SCENE)
    page, url = browser_page, console_server.url
    sign_in(page, f"{url}/partners", EMAIL, PASSWORD)
    page.get_by_text("Fast Tea", exact=True).click()
    page.wait_for_url(f"{url}/partners/*")
    page.get_by_role("button", name="Corrective actions").click()
    page.get_by_text("Promotional push", exact=True).click()
    dialog = page.locator(".q-dialog")
    dialog.locator("textarea").first.fill('business_unit == "Retail"')
    expect(dialog.get_by_text("3 of 5 recipients eligible", exact=False)).to_be_visible()
    dialog.get_by_role("button", name="Preview").click()
    expect(dialog.get_by_text("3 of 5 active recipients will receive it.")).to_be_visible()
    shoot(page, "actions-06-promotion-preview", full_page=False)
    dialog.get_by_role("button", name="Send to 3").click()
    expect(page.get_by_text("the worker is sending it", exact=False)).to_be_visible()

    page.goto(f"{url}/sandbox-inbox")
    for _ in range(30):  # the worker sends within a few seconds
        if page.get_by_text("ret2@example.com").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.get_by_text("ret0@example.com").first).to_be_visible()
    expect(page.get_by_text("Something new for you: Fast Tea e-voucher").first).to_be_visible()
    shoot(page, "actions-07-sandbox")
