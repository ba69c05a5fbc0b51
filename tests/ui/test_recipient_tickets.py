"""A recipient's tickets on their page (status, SLA countdown, a link to each), and tickets breaching
or about to breach their SLA in the home inbox, with the Tickets menu badge, for those who may work
tickets (and not for a viewer)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta

from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps

from delivery_steps import Programme, person

import ui.main  # noqa: F401  the console's pages import one another in its order
from backend.access import services as access
from backend.core import sql
from backend.tickets.services.intake import TicketReport, open_ticket
from ui import inbox
from ui.pages.tickets.words import short_id

PASSWORD = "a long enough password"


def text_of(user: User, marker: str) -> str:
    try:
        return next(iter(user.find(marker=marker).elements)).text
    except AssertionError:
        return ""


async def _tickets(admin):
    programme = await Programme(admin).start()
    asha = await person("EMP-1", name="Asha Rao", email="asha@example.com")
    reward = await programme.issue(asha.id)
    breached = await open_ticket(admin, TicketReport("code_invalid", "My code is refused", "claim_page", "Code refused", reward))
    calm = await open_ticket(admin, TicketReport("other", "A question", "api", "Question", programme_id=programme.programme.id))
    now = datetime.now(UTC)
    await sql.fetch(
        "UPDATE tickets SET sla_due_at = $2 WHERE id = $1", breached.ticket_id, now - timedelta(minutes=25, seconds=30)
    )
    await sql.fetch("UPDATE tickets SET sla_due_at = $2 WHERE id = $1", calm.ticket_id, now + timedelta(days=2))
    return asha, breached.ticket_id


async def test_the_recipient_page_lists_their_tickets(console: User, admin, patience, table) -> None:
    asha, ticket_id = await _tickets(admin)
    await console.open(f"/recipients/{asha.id}")
    await console.should_see(marker="recipient-tickets-table", retries=patience)
    rows = table(console, "recipient-tickets-table").rows
    assert [(row["reference"], row["category"], row["status"], row["href"]) for row in rows] == [
        (short_id(ticket_id), "Code invalid", "New", f"/tickets/{ticket_id}")
    ]
    assert rows[0]["due"] == "breached 25 min ago"
    assert rows[0]["opened"].endswith(" UTC")  # in the browser's time zone (UTC here), not ISO


async def test_breaching_tickets_wait_in_the_inbox_for_agents_only(
    admin, user: User, sign_in, patience, eventually, monkeypatch
) -> None:
    monkeypatch.setattr(inbox, "REFRESH_SECONDS", 0.2)
    await _tickets(admin)
    await sign_in()
    await user.should_see(marker="inbox-breaching-tickets", retries=patience)
    await user.should_see("1 ticket is breaching or about to breach the SLA")
    link = next(iter(user.find(marker="inbox-breaching-tickets").elements))
    assert link.props["href"] == "/tickets?view=breaching_soon"
    await eventually(lambda: text_of(user, "badge-tickets") == "1", seconds=15)

    vera = await access.create_user(admin, "vera@example.com", "Vera Viewer", PASSWORD, ["viewer"])
    assert "breaching-tickets" not in [item.key for item in await inbox.inbox(access.actor_for_user(vera))]
