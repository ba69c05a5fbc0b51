"""The breach action emails the assignee and the programme's admins through the delivery channels
(the sandbox here), exactly once: the sweep fires the step once, and the event's handler queues the
emails in the transaction that marks the event done, so a second delivery of it sends nothing."""

import asyncio
from datetime import timedelta

from ticket_steps import count, report

from backend.access import services as access
from backend.core import outbox, sql
from backend.core.authz import SYSTEM
from backend.core.clock import as_utc, utcnow
from backend.deliveries.services import notices, reading
from backend.tickets.services import conversation, escalation
from jobs.outbox import registered_handlers


async def _people():
    agent = await access.create_user(SYSTEM, "sam@example.com", "Sam Support", "a long passphrase 1", ["support_agent"])
    await access.create_user(SYSTEM, "ada@example.com", "Ada Admin", "a long passphrase 2", ["admin"])
    await access.create_user(SYSTEM, "pat@example.com", "Pat Manager", "a long passphrase 3", ["programme_manager"])
    gone = await access.create_user(SYSTEM, "old@example.com", "Old Admin", "a long passphrase 4", ["admin"])
    await access.set_active(SYSTEM, gone.id, False)
    await access.create_user(SYSTEM, "vic@example.com", "Vic Viewer", "a long passphrase 5", ["viewer"])
    return agent


async def test_a_breach_emails_the_assignee_and_the_admins_once(admin, reward):
    agent = await _people()
    opened = await report(reward)
    await conversation.assign(SYSTEM, opened.ticket_id, agent.id)
    later = utcnow() + timedelta(days=30)
    await asyncio.gather(escalation.sweep(later, batch=3), escalation.sweep(later, batch=3))
    events = await sql.fetch("SELECT id, topic FROM outbox_events WHERE topic LIKE 'ticket.sla_%' ORDER BY id")
    for event in events:  # the worker's handling, each event delivered twice
        assert await outbox.process(event["id"], registered_handlers()) == "done"
        assert await outbox.process(event["id"], registered_handlers()) == "skipped"
    breaches = sum(1 for event in events if event["topic"] == "ticket.sla_breached")
    assert breaches == 2  # first response and resolution
    # The assignee, the administrators (the fixture's too) and the programme manager; not the
    # inactive admin, not the viewer.
    people = ["sam@example.com", "ada@example.com", admin.label, "pat@example.com"]
    assert await count("SELECT COUNT(*) FROM delivery_notices WHERE about_kind = 'ticket_breach'") == breaches * len(people)
    assert await notices.send_due_notices() == breaches * len(people)
    inbox = [m for m in await reading.sandbox_inbox(admin) if m.subject.startswith("SLA breached")]
    assert sorted(m.recipient for m in inbox) == sorted(people * breaches)
    subjects = {m.subject for m in inbox}
    short = str(opened.ticket_id)[-8:]
    assert subjects == {
        f"SLA breached: ticket {short} missed its first response target",
        f"SLA breached: ticket {short} missed its resolution target",
    }
    assert all(f"/tickets/{opened.ticket_id}" in m.text for m in inbox)
    assert await notices.send_due_notices() == 0


async def test_a_warning_emails_nobody(admin, reward):
    await _people()
    await report(reward)
    first_warning = await sql.fetchrow("SELECT due_at FROM ticket_sla_steps WHERE kind = 'warning' ORDER BY due_at LIMIT 1")
    result = await escalation.sweep(as_utc(first_warning["due_at"]))
    assert (result.warnings, result.breaches) == (1, 0)
    for event in await sql.fetch("SELECT id FROM outbox_events WHERE topic = 'ticket.sla_warning'"):
        await outbox.process(event["id"], registered_handlers())
    assert await count("SELECT COUNT(*) FROM delivery_notices") == 0
