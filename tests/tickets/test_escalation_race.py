"""Two escalation sweeps at once fire each step exactly once (PostgreSQL's row locks decide; on
SQLite the write lock runs them one after the other)."""

import asyncio
from datetime import timedelta

from delivery_steps import person
from ticket_steps import count, report

from backend.core import sql
from backend.core.clock import utcnow
from backend.tickets.services import escalation


async def test_two_sweeps_racing_fire_each_step_once(programme):
    tickets = []
    for n in range(40):
        someone = await person(f"EMP-R{n}", email=f"r{n}@example.com")
        tickets.append((await report(await programme.issue(someone.id))).ticket_id)
    later = utcnow() + timedelta(days=30)  # every warning and breach of every target is due
    results = await asyncio.gather(escalation.sweep(later, batch=7), escalation.sweep(later, batch=7))
    steps = 40 * 2 * 2  # first response and resolution, a warning and a breach each
    assert sum(r.warnings + r.breaches for r in results) == steps
    assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic IN ('ticket.sla_warning', 'ticket.sla_breached')") == steps
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action IN ('ticket.sla_warning', 'ticket.sla_breach')") == steps
    # Each ticket was raised once per breach: high → urgent (and urgent stays urgent).
    assert await count("SELECT COUNT(*) FROM tickets WHERE priority = 'urgent'") == 40
    per_step = await sql.fetch("SELECT payload FROM outbox_events WHERE topic IN ('ticket.sla_warning', 'ticket.sla_breached')")
    assert len(per_step) == steps
