"""Importing recipients in a real browser: a Workday export is uploaded, the worker checks it and the
review shows the new, changed and rejected rows before anything is written; applying it creates the
recipients. Screenshots at 1440 px and 390 px, under tests/e2e/screenshots/import-*.png."""

from __future__ import annotations

import re

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"

SETUP = """
import asyncio
from backend.core.authz import SYSTEM
from backend.recipients import services as service

asyncio.run(service.upsert_recipient(SYSTEM, service.RecipientInput(
    external_id="21002", full_name="Bruno Weber", email="bruno@example.de", country="DE")))
"""
WORKDAY = (
    "Employee_ID,Legal_Name,Work_Email,Country,Supervisory_Organization,Job_Level,Hire_Date\r\n"
    "21001,Asha Rao,asha@example.com,IN,Sales,5,03/15/2019\r\n"
    "21002,Bruno Weber,bruno@example.de,DE,Logistics,3,10/01/2024\r\n"
    "21003,Chen Li,not an email,SG,Finance,4,\r\n"
)


def sign_in(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def test_a_workday_export_is_reviewed_then_applied(console_server, worker, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    console_server.python(SETUP)
    page, url = browser_page, console_server.url
    sign_in(page, f"{url}/recipients")
    page.get_by_role("button", name="Import a file").click()
    page.wait_for_url(f"{url}/recipient-imports")
    expect(page.get_by_text("Columns read: Employee_ID → external id")).to_be_visible()
    shoot(page, "import-01-form")
    page.locator("input[type=file]").set_input_files({"name": "workday.csv", "mimeType": "text/csv", "buffer": WORKDAY.encode()})
    page.wait_for_url(re.compile(r".*/recipient-imports/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Ready to apply")).to_be_visible(timeout=30_000)
    rows = page.locator(".q-table").filter(has_text="What happens")
    expect(rows.locator("tr", has_text="21001")).to_contain_text("New recipient")
    expect(rows.locator("tr", has_text="21002")).to_contain_text("Changes")
    expect(rows.locator("tr", has_text="21003")).to_contain_text("Rejected")
    shoot(page, "import-02-review")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "import-03-review-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.set_viewport_size({"width": 1440, "height": 900})

    page.get_by_role("button", name="Apply 2 changes").click()
    page.locator(".q-dialog").get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Applied workday.csv: 1 created, 1 updated.")).to_be_visible(timeout=30_000)
    shoot(page, "import-04-applied")
    page.goto(f"{url}/recipients?search=21001")
    expect(page.get_by_text("Asha Rao")).to_be_visible()
