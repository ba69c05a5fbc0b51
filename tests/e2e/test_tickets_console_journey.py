"""The support desk in a real browser at a desk (1440 px): the agent queue with countdowns and
badges, then a ticket about a reward — its links by name, the thread with an internal note set
apart from the reply, the SLA targets. Screenshots under tests/e2e/screenshots/tickets-*.png."""

from __future__ import annotations

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates

SETUP = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
sys.path[:0] = ["tests/campaigns", "tests/deliveries"]
from delivery_steps import Programme, person
from backend.core import sql
from backend.core.authz import SYSTEM
from backend.tickets.services.intake import TicketReport, open_ticket

async def main():
    programme = await Programme(SYSTEM).start()
    asha = await person("EMP-1", name="Asha Rao", email="asha@example.com")
    reward = await programme.issue(asha.id)
    await open_ticket(SYSTEM, TicketReport("code_invalid", "My code is refused at the till, it says already used.",
        "claim_page", "Code refused at the till", reward))
    now = datetime.now(UTC)
    for n, (category, minutes) in enumerate([("not_received", -25), ("wrong_value", 130), ("other", 60 * 26)]):
        opened = await open_ticket(SYSTEM, TicketReport(category, f"Question {n}", "api", f"Question {n}",
            programme_id=programme.programme.id))
        await sql.fetch("UPDATE tickets SET sla_due_at = $2 WHERE id = $1", opened.ticket_id, now + timedelta(minutes=minutes))

asyncio.run(main())
"""


def test_agent_queue_and_a_ticket(console_server, browser_page, shoot) -> None:
    from playwright.sync_api import expect

    console_server.python(SETUP)
    page, url = browser_page, console_server.url
    page.goto(f"{url}/tickets?view=all")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("breached 25 min ago")).to_be_visible()
    expect(page.get_by_text("All (4)")).to_be_visible()
    shoot(page, "tickets-1-queue")

    rows = page.locator("tbody tr")
    rows.filter(has_text="Code invalid").get_by_role("link").click()
    expect(page.get_by_text("Asha Rao (EMP-1)")).to_be_visible()
    page.get_by_label("Write to the recipient, or a note for colleagues").fill("Stock checked: the code was sold twice.")
    page.get_by_role("button", name="Add internal note").click()
    expect(page.get_by_text("Internal note added")).to_be_visible()
    page.get_by_label("Write to the recipient, or a note for colleagues").fill("Sorry, Asha! A new code is on its way.")
    page.get_by_role("button", name="Reply to recipient").click()
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent to the recipient")).to_be_visible()
    shoot(page, "tickets-2-ticket")

    page.get_by_role("button", name="All tickets").click()
    page.get_by_role("button", name="Log a ticket").click()
    expect(page.get_by_text("What the recipient said")).to_be_visible()
    shoot(page, "tickets-3-log-a-ticket")
