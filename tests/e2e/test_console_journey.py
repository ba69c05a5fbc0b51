"""An admin's first visit in a real browser: sign in, look at users, create an API key, read the
audit log. The console runs as its own process on a fresh SQLite file, as `mirabelle console` would."""

from __future__ import annotations

import re

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates


def test_admin_signs_in_creates_an_api_key_and_reads_the_audit_log(console_url, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{console_url}/users")
    expect(page.get_by_text("Sign in to the back office")).to_be_visible()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong email or password")).to_be_visible()
    shoot(page, "01-login-refused")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console_url}/users")  # back to the page asked for
    expect(page.get_by_text("admin@example.com").first).to_be_visible()
    expect(page.get_by_text("Ada Admin").first).to_be_visible()
    shoot(page, "02-users")

    page.get_by_text("API keys", exact=True).click()
    page.wait_for_url(f"{console_url}/api-keys")
    page.get_by_role("button", name="New API key").click()
    page.get_by_label("Name").fill("HR sync (Workday)")
    page.get_by_text("Read recipients", exact=True).click()  # a scope in words, its code beside it
    page.get_by_text("Create and update recipients", exact=True).click()
    shoot(page, "03-api-key-form")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("It will not be shown again", exact=False)).to_be_visible()
    secret = page.locator(".font-mono").inner_text().strip()
    assert re.fullmatch(r"mb_[a-z0-9]{12}_[A-Za-z0-9_-]{32,64}", secret), secret
    shoot(page, "04-api-key-secret-once")
    page.get_by_role("button", name="I have stored it").click()
    expect(page.get_by_text("It will not be shown again", exact=False)).to_have_count(0)
    expect(page.get_by_text(re.compile(r"mb_[a-z0-9]{12}_•+"))).to_be_visible()
    assert secret not in page.content()
    shoot(page, "05-api-keys")

    page.get_by_text("Audit log", exact=True).click()
    page.wait_for_url(f"{console_url}/audit")
    expect(page.get_by_text("api_key.created")).to_be_visible()
    expect(page.get_by_text("user.login_failed")).to_be_visible()
    shoot(page, "06-audit-log")
    page.get_by_role("button", name="Details").first.click()
    expect(page.get_by_text("HR sync (Workday)").last).to_be_visible()
    shoot(page, "07-audit-entry")
    page.keyboard.press("Escape")

    page.get_by_text("Home", exact=True).click()
    page.wait_for_url(f"{console_url}/")
    expect(page.get_by_text("Active API keys")).to_be_visible()
    shoot(page, "08-home")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out")).to_be_visible()
