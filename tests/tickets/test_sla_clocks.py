"""SLA clocks with frozen time: business hours across a weekend, pauses while waiting on the
recipient, a priority change that the targets follow, and the escalation steps firing once."""

from datetime import UTC, datetime

import time_machine
from ticket_steps import AGENT, INTEGRATOR, count, report, steps, ticket_row

from backend.core.clock import as_utc
from backend.tickets.services import conversation, escalation


def at(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def due(rows, target, kind="breach"):
    (row,) = [r for r in rows if r["target"] == target and r["kind"] == kind]
    return as_utc(row["due_at"]) if row["due_at"] is not None else None


async def test_a_friday_afternoon_ticket_is_due_on_monday_and_escalates_once(reward):
    with time_machine.travel(at(11, 16), tick=False) as clock:  # Friday 16:00; the desk works 09-17 UTC, Mon-Fri
        ticket_id = (await report(reward)).ticket_id  # code invalid: high (2 h first response, 16 h resolution)
        rows = await steps(ticket_id)
        assert due(rows, "first_response") == at(14, 10)  # 1 h on Friday, 1 h on Monday
        assert due(rows, "first_response", "warning") == at(14, 9, 36)  # 80 % of 2 h
        assert due(rows, "resolution") == at(15, 16)  # 1 h Fri + 8 h Mon + 7 h Tue
        assert as_utc((await ticket_row(ticket_id))["sla_due_at"]) == at(14, 10)

        clock.move_to(at(14, 9, 30))
        assert await escalation.sweep() == escalation.SweepResult(0, 0)
        clock.move_to(at(14, 9, 40))
        assert await escalation.sweep() == escalation.SweepResult(1, 0)
        clock.move_to(at(14, 10, 5))
        assert await escalation.sweep() == escalation.SweepResult(0, 1)
        assert await escalation.sweep() == escalation.SweepResult(0, 0)
        row = await ticket_row(ticket_id)
        assert row["priority"] == "urgent"  # the breach raised it
        assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = 'ticket.sla_warning'") == 1
        assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = 'ticket.sla_breached'") == 1
        assert as_utc(row["sla_due_at"]) == at(14, 10)  # breached and unanswered: top of the queue

        # The agent answers and waits on the recipient: every clock pauses (2.5 h of resolution used).
        clock.move_to(at(14, 10, 30))
        await conversation.reply(AGENT, ticket_id, "Which shop was it?")
        rows = await steps(ticket_id)
        assert due(rows, "resolution") is None and due(rows, "resolution", "warning") is None
        assert (await ticket_row(ticket_id))["sla_due_at"].year == 9999  # no running deadline
        clock.move_to(at(15, 16))  # the old resolution deadline passes while paused: nothing fires
        assert await escalation.sweep() == escalation.SweepResult(0, 0)

        # The recipient answers on Wednesday 09:00: resolution resumes with 13.5 h left, and the
        # next-response clock starts (urgent now: 2 h).
        clock.move_to(at(16, 9))
        await conversation.reply(INTEGRATOR, ticket_id, "The one on Main Street", author="recipient")
        rows = await steps(ticket_id)
        assert due(rows, "resolution") == at(17, 14, 30)  # 8 h Wed + 5.5 h Thu
        assert due(rows, "next_response") == at(16, 11)
        assert as_utc((await ticket_row(ticket_id))["sla_due_at"]) == at(16, 11)


async def test_the_targets_follow_a_priority_change(reward):
    with time_machine.travel(at(7, 9), tick=False) as clock:  # Monday 09:00
        ticket_id = (await report(reward)).ticket_id  # high: 2 h first response
        assert due(await steps(ticket_id), "first_response") == at(7, 11)
        clock.move_to(at(7, 10))
        await conversation.change_priority(AGENT, ticket_id, "low")  # 8 h: 1 h used, 7 h left
        rows = await steps(ticket_id)
        assert due(rows, "first_response") == at(7, 17)
        assert due(rows, "first_response", "warning") == at(7, 15, 24)  # 6.4 h of 8
        assert as_utc((await ticket_row(ticket_id))["sla_due_at"]) == at(7, 17)


async def test_resolving_stops_the_clocks_and_a_reopen_resumes_resolution(reward):
    with time_machine.travel(at(7, 9), tick=False) as clock:
        ticket_id = (await report(reward)).ticket_id
        clock.move_to(at(7, 10))
        await conversation.change_status(AGENT, ticket_id, "resolved")
        clock.move_to(at(8, 17))
        assert await escalation.sweep() == escalation.SweepResult(0, 0)
        await conversation.reply(INTEGRATOR, ticket_id, "It still fails", author="recipient")
        rows = await steps(ticket_id)
        assert due(rows, "resolution") == at(10, 16)  # 1 h used of 16: 15 h left, from Wednesday 09:00 (8 h) to Thursday 16:00
        assert [r["state"] for r in rows if r["target"] == "first_response"] == ["cancelled", "cancelled"]
