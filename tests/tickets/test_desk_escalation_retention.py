"""A programme's desk: its calendar (holidays, a time zone across a DST change), the breach action
it configures, the worker's cron, and the retention purge that keeps the figures."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from ticket_steps import AGENT, count, report, steps, ticket_row

from backend.core import sql
from backend.core.authz import SYSTEM
from backend.core.clock import as_utc
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.views import json_value
from backend.tickets.policy import SlaTargets
from backend.tickets.services import conversation, desk, escalation, retention
from backend.tickets.views import PURGED


def breach_due(rows, target):
    (row,) = [r for r in rows if r["target"] == target and r["kind"] == "breach"]
    return as_utc(row["due_at"])


async def test_a_holiday_and_a_dst_change_in_the_programme_calendar(programme, reward):
    # Berlin, Monday to Friday 09:00-17:00 local, German holidays plus 24 December; normal = 4 h first response.
    await desk.set_desk_settings(
        SYSTEM,
        programme.programme.id,
        desk.DeskSettings(timezone="Europe/Berlin", holiday_country="DE", custom_holidays=(date(2026, 12, 24),)),
    )
    with time_machine.travel(datetime(2026, 12, 23, 14, tzinfo=UTC), tick=False):  # Wed 15:00 in Berlin
        ticket_id = (await report(reward, category="not_received")).ticket_id
    # 2 h on Wednesday; 24 (custom), 25, 26 (holidays) and the weekend skipped; 2 h on Monday 28 from 09:00 CET.
    assert breach_due(await steps(ticket_id), "first_response") == datetime(2026, 12, 28, 10, tzinfo=UTC)

    await desk.set_sla_policy(SYSTEM, programme.programme.id, "normal", SlaTargets(10 * 3600, 20 * 3600, 40 * 3600))
    await conversation.change_status(AGENT, ticket_id, "closed")
    with time_machine.travel(datetime(2026, 10, 23, 14, tzinfo=UTC), tick=False):  # Friday 16:00 CEST
        second = (await report(reward, category="not_received")).ticket_id
    # 1 h on Friday (CEST); the clocks go back on Sunday 25 October; 8 h on Monday (09:00-17:00 CET is
    # 08:00-16:00 UTC) and 1 h on Tuesday: 10:00 CET, 09:00 UTC.
    assert breach_due(await steps(second), "first_response") == datetime(2026, 10, 27, 9, tzinfo=UTC)
    await conversation.change_status(AGENT, second, "closed")
    with time_machine.travel(datetime(2027, 3, 25, 15, tzinfo=UTC), tick=False):  # Thursday before Easter, 16:00 CET
        third = (await report(reward, category="not_received")).ticket_id
    # 1 h on Thursday; Good Friday, the weekend (the clocks go forward) and Easter Monday skipped;
    # 8 h on Tuesday 30 March and 1 h on Wednesday: 10:00 CEST, 08:00 UTC.
    assert breach_due(await steps(third), "first_response") == datetime(2027, 3, 31, 8, tzinfo=UTC)


async def test_bad_desk_settings_are_refused(programme):
    with pytest.raises(DomainError) as refused:
        await desk.set_desk_settings(SYSTEM, programme.programme.id, desk.DeskSettings(timezone="Mars/Olympus"))
    assert (refused.value.code, refused.value.errors[0].field) == ("INVALID_TIMEZONE", "timezone")
    with pytest.raises(DomainError) as refused:
        await desk.set_desk_settings(SYSTEM, programme.programme.id, desk.DeskSettings(retention_days=0))
    assert refused.value.code == "INVALID_RETENTION"
    with pytest.raises(DomainError) as refused:
        await desk.set_sla_policy(SYSTEM, programme.programme.id, "normal", SlaTargets(0, 1, 1))
    assert refused.value.code == "INVALID_TARGET"
    assert await count("SELECT COUNT(*) FROM ticket_desk_settings") == 0 and await count("SELECT COUNT(*) FROM sla_policies") == 0


async def test_a_breach_reassigns_to_the_programmes_breach_queue_and_person(programme, reward):
    lead = new_id()
    await desk.set_desk_settings(
        SYSTEM, programme.programme.id, desk.DeskSettings(breach_queue="escalations", breach_assignee_id=lead)
    )
    ticket_id = (await report(reward, category="other")).ticket_id  # low
    result = await escalation.sweep(
        datetime.now(UTC) + timedelta(days=3)
    )  # first response (8 h) breached, resolution (40 h) warned
    row = await ticket_row(ticket_id)
    assert (row["queue"], row["assignee_id"], row["priority"]) == ("escalations", lead, "normal")
    assert result.breaches >= 1
    (event,) = await sql.fetch("SELECT payload FROM outbox_events WHERE topic = 'ticket.sla_breached' ORDER BY id LIMIT 1")
    assert json_value(event["payload"])["queue"] == "escalations"


async def test_closed_tickets_lose_their_personal_content_after_retention(programme, reward):
    await desk.set_desk_settings(SYSTEM, programme.programme.id, desk.DeskSettings(retention_days=30))
    ticket_id = (await report(reward, message="My name is Asha and my phone is 98450 00000")).ticket_id
    await conversation.change_status(AGENT, ticket_id, "resolved")
    await conversation.rate(SYSTEM, ticket_id, 5)
    await conversation.change_status(AGENT, ticket_id, "closed")
    assert await retention.purge_expired_content(datetime.now(UTC) + timedelta(days=29)) == 0
    assert await retention.purge_expired_content(datetime.now(UTC) + timedelta(days=31)) == 1
    row = await ticket_row(ticket_id)
    assert row["purged_at"] is not None and row["recipient_id"] is None and row["subject"] == ""
    assert (row["category"], row["priority"], row["csat_score"], row["reward_value"]) == ("code_invalid", "high", 5, 1500)
    assert [m["body"] for m in await sql.fetch("SELECT body FROM ticket_messages WHERE ticket = $1", ticket_id)] == [PURGED]
    assert await retention.purge_expired_content(datetime.now(UTC) + timedelta(days=40)) == 0  # once


def test_the_worker_runs_the_sweep_and_the_purge():
    from backend.core.settings import Settings
    from jobs.worker import build_worker_settings

    built = build_worker_settings({}, settings=Settings(redis_url="redis://127.0.0.1:6379/0"))
    names = {job.name for job in built["cron_jobs"]}
    assert {"cron:tickets_sla_sweep", "cron:tickets_retention_purge"} <= names
    from jobs.outbox import registered_handlers

    assert {"ticket.sla_warning", "ticket.sla_breached", "ticket.status_changed"} <= set(registered_handlers())
