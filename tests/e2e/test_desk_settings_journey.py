"""Desk settings in a real browser: an admin picks a time zone, a holiday country and a custom
holiday, types a money threshold and a target, saves, reads the confirmation; a closing time
before the opening is shown under its field. Screenshots under tests/e2e/screenshots/desk-*.png."""

from __future__ import annotations

import re

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates

SETUP = """
import asyncio
from backend.core.authz import SYSTEM
from backend.recipients import services

async def main():
    await services.create_programme(SYSTEM, "Sales Stars", "INR", "0.25")
    await services.create_programme(SYSTEM, "Field Force", "EUR", "0.01")

asyncio.run(main())
"""


def test_an_admin_sets_the_desk(console_server, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    console_server.python(SETUP)
    page, url = browser_page, console_server.url
    page.goto(f"{url}/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/desk-settings")
    expect(page.get_by_text("SLA targets, in business time")).to_be_visible()
    if page.get_by_label("Approval above (INR)").count() == 0:  # the other programme came first
        page.get_by_label("Programme").click()
        page.get_by_role("option", name="Sales Stars").click()
    expect(page.get_by_label("Approval above (INR)")).to_be_visible()
    shoot(page, "desk-settings-01-defaults")

    page.get_by_label("Time zone").fill("Europe/Ber")
    page.get_by_role("option", name="Europe/Berlin").click()
    page.get_by_label("Public holidays of").fill("Germ")
    page.get_by_role("option", name="Germany (DE)").click()
    page.get_by_label("Custom holidays").fill("2026-12-24, 2026-12-31")
    page.get_by_label("Approval above (INR)").fill("₹1,000.50")
    page.get_by_label("Closes at").fill("08:00")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    page.get_by_label("Programme").click()  # another programme while this one has changes: asked first
    page.get_by_role("option", name="Field Force").click()
    expect(page.get_by_text("Discard your changes?")).to_be_visible()
    shoot(page, "desk-settings-02-guard", full_page=False)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_label("Custom holidays")).to_have_value("2026-12-24, 2026-12-31")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The desk closes after it opens, at 24:00 at the latest.")).to_be_visible()
    shoot(page, "desk-settings-03-refused")

    page.get_by_label("Closes at").fill("18:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile("Saved: time zone, closing time, holiday country, custom holidays"))).to_be_visible()
    shoot(page, "desk-settings-04-saved")
    page.reload()
    expect(page.get_by_label("Approval above (INR)")).to_have_value("₹1,000.50")
