"""The monthly SLA report: met and breached per priority, times as median and p90, CSAT."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from delivery_steps import person
from ticket_steps import AGENT, report

from backend.core.authz import SYSTEM
from backend.core.errors import DomainError
from backend.tickets.services import conversation, escalation, sla_report


async def test_a_month_of_tickets(programme):
    start = datetime(2026, 12, 7, 9, tzinfo=UTC)  # Monday
    tickets = []
    with time_machine.travel(start, tick=False) as clock:
        for n in range(3):
            reward = await programme.issue((await person(f"EMP-S{n}", email=f"s{n}@example.com")).id)
            tickets.append((await report(reward)).ticket_id)  # high: 2 h first response, 16 h resolution
        clock.move_to(start + timedelta(hours=1))
        await conversation.reply(AGENT, tickets[0], "On it", await_recipient=False)  # met, 1 h
        clock.move_to(start + timedelta(hours=3))
        await escalation.sweep()  # tickets 1 and 2 breach their first response
        await conversation.reply(AGENT, tickets[1], "Sorry for the wait", await_recipient=False)  # 3 h, breached
        await conversation.change_status(AGENT, tickets[0], "resolved")  # 3 h, met
        await conversation.rate(SYSTEM, tickets[0], 4)
    figures = {f.priority: f for f in await sla_report.monthly_report(SYSTEM, programme.programme.id, 2026, 12)}
    # The breach raised the priority of two tickets to urgent; the report counts each under its priority now.
    high, urgent = figures["high"], figures["urgent"]
    assert (high.opened, high.first_response_met, high.first_response_breached, high.resolution_met) == (1, 1, 0, 1)
    assert (high.first_response_hours_median, high.resolution_hours_median, high.csat_average) == (1.0, 3.0, 4.0)
    assert (urgent.opened, urgent.first_response_met, urgent.first_response_breached) == (2, 0, 2)
    assert urgent.first_response_hours_median == 3.0
    assert figures["low"].opened == 0 and figures["low"].csat_average is None
    csv = await sla_report.monthly_report_csv(SYSTEM, programme.programme.id, 2026, 12)
    assert csv.splitlines()[0].startswith("priority,opened,first_response_met")
    assert len(csv.splitlines()) == 5
    assert all(f.opened == 0 for f in await sla_report.monthly_report(SYSTEM, programme.programme.id, 2026, 11))
    with pytest.raises(DomainError):
        await sla_report.monthly_report(SYSTEM, programme.programme.id, 2026, 13)
