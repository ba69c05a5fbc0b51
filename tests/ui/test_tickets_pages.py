"""The support desk in the console: the agent queue (tabs, nearest deadline first, countdowns in
words, claim), a ticket (its links by name, the thread with notes set apart, reply / note / status /
priority, each saying what it did, the SLA targets following the priority), logging a ticket that
came by phone, and roles: a viewer does not see tickets at all, a programme manager reads only."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta

import pytest
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps

from delivery_steps import Programme, person

import ui.main  # noqa: F401  the console's pages import one another in its order
from backend.core import sql
from backend.core.authz import Actor
from backend.tickets.services import reading
from backend.tickets.services.intake import TicketReport, open_ticket
from ui.pages.tickets.words import countdown, short_id

PASSWORD = "a long enough password"


class Desk:
    def __init__(self, programme: Programme, reward_ticket, other_tickets) -> None:
        self.programme, self.reward_ticket, self.other_tickets = programme, reward_ticket, other_tickets


@pytest.fixture
async def desk(admin: Actor) -> Desk:
    """A reward's "code invalid" ticket, and two without a reward whose deadlines we set apart."""
    programme = await Programme(admin).start()
    asha = await person("EMP-1", name="Asha Rao", email="asha@example.com")
    reward = await programme.issue(asha.id)
    about_reward = await open_ticket(
        admin, TicketReport("code_invalid", "My code is refused at the till", "claim_page", "Code refused", reward)
    )
    others = []
    for number in range(2):
        opened = await open_ticket(
            admin, TicketReport("other", f"Question {number}", "api", f"Question {number}", programme_id=programme.programme.id)
        )
        others.append(opened.ticket_id)
    # Deadlines an agent can read: the second question breached 25 minutes ago, the first due in 2 h 10 min.
    now = datetime.now(UTC)
    await sql.fetch("UPDATE tickets SET sla_due_at = $2 WHERE id = $1", others[1], now - timedelta(minutes=25, seconds=30))
    await sql.fetch(
        "UPDATE tickets SET sla_due_at = $2 WHERE id = $1", others[0], now + timedelta(hours=2, minutes=10, seconds=30)
    )
    # The reward's ticket after both, whatever its policy's business hours make of the time of day.
    await sql.fetch("UPDATE tickets SET sla_due_at = $2 WHERE id = $1", about_reward.ticket_id, now + timedelta(days=2))
    return Desk(programme, about_reward.ticket_id, others)


def test_countdown_in_words() -> None:
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert countdown(now + timedelta(hours=2, minutes=10), now) == "due in 2 h 10 min"
    assert countdown(now - timedelta(minutes=25), now) == "breached 25 min ago"
    assert countdown(now + timedelta(days=3, hours=1), now) == "due in 3 d 1 h"
    assert countdown(now + timedelta(seconds=20), now) == "due in under a minute"
    assert countdown(None, now) == "no clock running"
    assert countdown(None, now, "waiting_on_recipient") == "SLA paused"


async def test_queue_sorted_by_deadline_with_countdowns_and_claim(
    console: User, admin, desk: Desk, patience, table, eventually
) -> None:
    await console.open("/tickets?view=unassigned")
    queue = table(console, "queue-table")
    await eventually(lambda: len(queue.rows) == 3)
    breached, soon = desk.other_tickets[1], desk.other_tickets[0]
    assert [row["id"] for row in queue.rows][:2] == [str(breached), str(soon)]
    assert queue.rows[0]["due"] == "breached 25 min ago" and queue.rows[0]["due_colour"] == "negative"
    assert queue.rows[1]["due"] == "due in 2 h 10 min"
    assert queue.rows[0]["programme"] == "Sales Stars" and queue.rows[0]["assignee"] == "Unassigned"
    assert queue.rows[0]["reference"] == short_id(breached) and queue.rows[0]["href"] == f"/tickets/{breached}"
    assert all(row["actions"] == ["claim"] for row in queue.rows)
    await console.should_see("Unassigned (3)", retries=patience)

    console.find(marker="queue-table").trigger("row_action", {"action": "claim", "key": str(breached)})
    await console.should_see(f"Ticket {short_id(breached)} is yours now", retries=patience)
    await eventually(lambda: len(queue.rows) == 2)
    assert (await reading.get_ticket(admin, breached)).ticket.assignee_id == admin.id

    [tabs] = console.find(marker="queue-tabs").elements
    tabs.value = "mine"  # the person picks the tab
    await eventually(lambda: [row["id"] for row in queue.rows] == [str(breached)])
    assert queue.rows[0]["assignee"] == "You" and queue.rows[0]["actions"] == []
    await console.should_see("Mine (1)", retries=patience)
    await console.open("/tickets?view=breaching_soon")
    soon_rows = table(console, "queue-table")
    await eventually(lambda: len(soon_rows.rows) >= 1)
    assert str(breached) in [row["id"] for row in soon_rows.rows]


async def test_ticket_page_links_thread_and_every_action(console: User, admin, desk: Desk, patience) -> None:
    await console.open(f"/tickets/{desk.reward_ticket}")
    await console.should_see("Asha Rao (EMP-1)", retries=patience)
    await console.should_see("1,500 points", retries=patience)
    await console.should_see("Sales Stars", retries=patience)
    await console.should_see("My code is refused at the till", retries=patience)
    await console.should_see(marker="message-recipient", retries=patience)
    await console.should_see("of business time", retries=patience)

    console.find(marker="message-body").type("Colleague: checked the stock, code looks fine")
    console.find(marker="add-note").click()
    await console.should_see("Internal note added: colleagues see it, the recipient does not.", retries=patience)
    await console.should_see(marker="message-note", retries=patience)

    console.find(marker="message-body").type("Sorry! We are issuing you a new code.")
    console.find(marker="send-reply").click()
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Reply sent to the recipient: the ticket now waits on their answer.", retries=patience)
    await console.should_see(marker="message-agent", retries=patience)
    thread = await reading.get_ticket(admin, desk.reward_ticket)
    assert [m.kind for m in thread.messages] == ["recipient", "note", "agent"]
    assert thread.ticket.status == "waiting_on_recipient" and thread.ticket.assignee_id == admin.id  # replying claims it
    await console.should_see("Waiting on recipient", retries=patience)
    await console.should_see("paused (waiting on the recipient)", retries=patience)
    await console.should_see(marker="due-badge", content="SLA paused", retries=patience)

    [priority] = console.find(marker="priority-select").elements
    priority.value = "urgent"
    console.find(marker="change-priority").click()
    await console.should_see("Priority set. The SLA targets follow — Urgent priority: first response within", retries=patience)
    assert (await reading.get_ticket(admin, desk.reward_ticket)).ticket.priority == "urgent"
    await console.should_see(marker="priority-badge", content="Urgent", retries=patience)  # the page re-read it

    [status] = console.find(marker="status-select").elements
    status.value = "resolved"
    console.find(marker="change-status").click()
    await console.should_see("Status changed to “Resolved”.", retries=patience)
    assert (await reading.get_ticket(admin, desk.reward_ticket)).ticket.status == "resolved"
    await console.should_see(marker="status-badge", content="Resolved", retries=patience)

    [status] = console.find(marker="status-select").elements
    status.value = "closed"
    console.find(marker="change-status").click()
    await console.should_see("Close this ticket?", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Status changed to “Closed”.", retries=patience)
    await console.should_not_see(marker="composer")
    reads = await sql.fetch(
        "SELECT id FROM audit_events WHERE action = 'ticket.read' AND entity_id = $1", str(desk.reward_ticket)
    )
    assert len(reads) >= 5  # the page's every (re)read of the ticket is audited


async def test_empty_reply_is_refused_in_words(console: User, admin, desk: Desk, patience) -> None:
    await console.open(f"/tickets/{desk.other_tickets[0]}")
    await console.should_see(marker="composer", retries=patience)
    console.find(marker="add-note").click()
    await console.should_see("Write a message.", retries=patience)
    assert [m.kind for m in (await reading.get_ticket(admin, desk.other_tickets[0])).messages] == ["recipient"]


async def test_log_a_ticket_from_a_call(console: User, admin, desk: Desk, patience) -> None:
    await console.open("/tickets/new")
    await console.should_see(marker="log-ticket-form", retries=patience)
    console.find(marker="submit-ticket").click()
    await console.should_see("A category is one of", retries=patience)  # refused, nothing logged
    assert (await sql.fetchrow("SELECT COUNT(*) AS n FROM tickets"))["n"] == 3

    [category] = console.find(marker="field-category").elements
    category.value = "not_received"
    [programme] = console.find(marker="field-programme_id").elements
    programme.value = str(desk.programme.programme.id)
    console.find(marker="field-recipient_id").type("EMP-1")
    console.find(marker="field-message").type("Called: her voucher email never came")
    console.find(marker="submit-ticket").click()
    await console.should_see("logged; its SLA clocks are running.", retries=patience)
    row = await sql.fetchrow("SELECT * FROM tickets WHERE category = 'not_received'")
    assert (row["source"], row["subject"]) == ("console", "Phone call to support")
    # on the new ticket's page (the form's own box holds the same words until the page changes)
    await console.should_see(marker="ticket-thread", retries=patience)
    await console.should_see("Called: her voucher email never came", retries=patience)

    # A call about a reward whose ticket is open joins that ticket.
    await console.open("/tickets/new")
    await console.should_see(marker="log-ticket-form", retries=patience)
    [category] = console.find(marker="field-category").elements
    category.value = "code_invalid"
    reward_id = (await reading.get_ticket(admin, desk.reward_ticket)).ticket.issuance_id
    console.find(marker="field-issuance_id").type(str(reward_id))
    console.find(marker="field-message").type("Called again: still refused")
    console.find(marker="submit-ticket").click()
    await console.should_see(f"The report joined ticket {short_id(desk.reward_ticket)}", retries=patience)
    assert (await sql.fetchrow("SELECT reports FROM tickets WHERE id = $1", desk.reward_ticket))["reports"] == 2


async def test_a_viewer_does_not_see_tickets_and_a_manager_only_reads(
    user: User, admin, desk: Desk, create_person, sign_in, patience, table, eventually
) -> None:
    await create_person("viewer@example.com", ["viewer"], PASSWORD)
    await sign_in("viewer@example.com", PASSWORD, path="/tickets")
    await user.should_see(marker="permission-needed", retries=patience)
    await user.should_see("tickets:read", retries=patience)
    await user.should_not_see(marker="nav-tickets")
    await user.open(f"/tickets/{desk.reward_ticket}")
    await user.should_see(marker="permission-needed", retries=patience)
    await user.should_not_see("My code is refused at the till")


async def test_a_programme_manager_reads_but_cannot_work_tickets(
    user: User, admin, desk: Desk, create_person, sign_in, patience, table, eventually
) -> None:
    await create_person("manager@example.com", ["programme_manager"], PASSWORD)
    await sign_in("manager@example.com", PASSWORD, path="/tickets?view=all")
    await user.should_see(marker="queue-table", retries=patience)
    queue = table(user, "queue-table")
    await eventually(lambda: len(queue.rows) == 3)
    assert all(row["actions"] == [] for row in queue.rows)
    await user.should_see(marker="read-only-note", retries=patience)
    await user.should_not_see(marker="nav-tickets-new")
    await user.open(f"/tickets/{desk.reward_ticket}")
    await user.should_see("My code is refused at the till", retries=patience)
    await user.should_not_see(marker="composer")
    await user.should_not_see(marker="work-card")
    await user.open("/tickets/new")
    await user.should_see(marker="permission-needed", retries=patience)


async def test_resolving_a_code_already_used_ticket_can_confirm_the_code_used(console: User, admin, desk: Desk, patience):
    await console.open(f"/tickets/{desk.reward_ticket}")
    await console.should_see(marker="status-select", retries=patience)
    await console.should_not_see(marker="code-used")  # a "code invalid" ticket has no such finding
    await sql.fetch("UPDATE tickets SET category = 'code_already_used' WHERE id = $1", desk.reward_ticket)
    await console.open(f"/tickets/{desk.reward_ticket}")
    await console.should_see(marker="code-used", retries=patience)
    [used] = console.find(marker="code-used").elements
    used.value = True
    [status] = console.find(marker="status-select").elements
    status.value = "waiting_on_recipient"
    console.find(marker="change-status").click()
    await console.should_see("A code is confirmed used when the ticket is resolved.", retries=patience)
    status.value = "resolved"
    console.find(marker="change-status").click()
    await console.should_see("Status changed to “Resolved”. The code counts as redeemed.", retries=patience)
    events = await sql.fetch("SELECT payload FROM outbox_events WHERE topic = 'ticket.code_use_confirmed'")
    assert len(events) == 1 and str(desk.reward_ticket) in str(events[0]["payload"])
