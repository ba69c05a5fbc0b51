"""Opening, joining, replying, statuses, CSAT, permissions and audited reads."""

import asyncio

import pytest
from ticket_steps import AGENT, INTEGRATOR, count, report, ticket_row

from backend.core.authz import Actor, ActorKind, Permission
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.tickets.services import conversation, reading
from backend.tickets.services.intake import TicketReport, open_ticket


async def test_a_ticket_links_the_reward_and_gets_its_priority_by_rule(programme, reward):
    opened = await report(reward)
    row = await ticket_row(opened.ticket_id)
    assert not opened.joined
    assert (row["issuance_id"], row["programme_id"], row["campaign_id"]) == (
        reward,
        programme.programme.id,
        programme.campaign.id,
    )
    assert row["recipient_id"] is not None and row["delivery_id"] is None  # no delivery made in this test
    assert (row["status"], row["priority"], row["category"], row["reward_value"]) == ("new", "high", "code_invalid", 1500)
    assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = $1", "ticket.status_changed") == 1


async def test_a_second_report_on_the_same_reward_joins_the_open_ticket(reward):
    first = await report(reward)
    second = await report(reward, category="not_received", message="Still nothing")
    assert second.joined and second.ticket_id == first.ticket_id
    assert (await ticket_row(first.ticket_id))["reports"] == 2
    assert await count("SELECT COUNT(*) FROM ticket_messages WHERE ticket = $1", first.ticket_id) == 2
    await conversation.change_status(AGENT, first.ticket_id, "closed")
    third = await report(reward)
    assert not third.joined and third.ticket_id != first.ticket_id  # closed: a new ticket


async def test_reports_at_once_make_one_ticket(db, reward):
    results = await asyncio.gather(*(report(reward, message=f"report {n}") for n in range(6)))
    assert len({result.ticket_id for result in results}) == 1
    assert sum(not result.joined for result in results) == 1
    assert await count("SELECT COUNT(*) FROM tickets") == 1
    assert (await ticket_row(results[0].ticket_id))["reports"] == 6


async def test_bad_reports_change_nothing(programme, reward):
    with pytest.raises(DomainError) as refused:
        await report(reward, category="lost")
    assert (refused.value.code, refused.value.errors[0].field) == ("INVALID_CATEGORY", "category")
    with pytest.raises(DomainError) as refused:
        await report(reward, message="  ")
    assert (refused.value.code, refused.value.errors[0].field) == ("EMPTY_MESSAGE", "message")
    with pytest.raises(DomainError) as refused:
        await report(new_id())
    assert refused.value.code == "REWARD_NOT_FOUND"
    with pytest.raises(DomainError) as refused:
        await open_ticket(INTEGRATOR, TicketReport(category="other", message="hi", source="api"))
    assert refused.value.code == "PROGRAMME_REQUIRED"
    reader = Actor(ActorKind.API_KEY, new_id(), "reader", frozenset({Permission.TICKETS_READ}))
    with pytest.raises(DomainError) as refused:
        await report(reward, actor=reader)
    assert refused.value.code == "FORBIDDEN"
    assert await count("SELECT COUNT(*) FROM tickets") == 0 and await count("SELECT COUNT(*) FROM ticket_messages") == 0


async def test_idempotent_open(reward):
    first = await report(reward, idempotency_key="k-1")
    again = await report(reward, idempotency_key="k-1")
    assert again == first and await count("SELECT COUNT(*) FROM ticket_messages") == 1
    with pytest.raises(DomainError) as refused:
        await report(reward, message="something else", idempotency_key="k-1")
    assert refused.value.code == "IDEMPOTENCY_CONFLICT"


async def test_reply_waits_on_the_recipient_and_their_answer_reopens(reward):
    ticket_id = (await report(reward)).ticket_id
    answered = await conversation.reply(AGENT, ticket_id, "Could you send a photo of the till's message?")
    row = await ticket_row(ticket_id)
    assert answered.status == "waiting_on_recipient" and row["first_responded_at"] is not None
    assert row["assignee_id"] == AGENT.id  # replying claims an unassigned ticket
    await conversation.reply(AGENT, ticket_id, "Looks like a partner outage", author="note")
    assert (await ticket_row(ticket_id))["status"] == "waiting_on_recipient"  # a note changes nothing
    back = await conversation.reply(INTEGRATOR, ticket_id, "Here it is", author="recipient")
    assert back.status == "open"
    thread = await reading.get_ticket(AGENT, ticket_id)
    assert [m.kind for m in thread.messages] == ["recipient", "agent", "note", "recipient"]
    assert [m.kind for m in (await reading.get_ticket(AGENT, ticket_id, include_notes=False)).messages] == [
        "recipient",
        "agent",
        "recipient",
    ]


async def test_resolved_reopens_within_the_window_only(db, reward):
    ticket_id = (await report(reward)).ticket_id
    await conversation.change_status(AGENT, ticket_id, "resolved")
    assert (await conversation.reply(INTEGRATOR, ticket_id, "Still broken", author="recipient")).status == "open"
    await conversation.change_status(AGENT, ticket_id, "resolved")
    from backend.core import sql

    await sql.fetch(
        "UPDATE tickets SET resolved_at = resolved_at - INTERVAL '8 days' WHERE id = $1", ticket_id
    ) if db.kind == "postgres" else await sql.fetch(
        "UPDATE tickets SET resolved_at = '2020-01-01 00:00:00+00:00' WHERE id = $1", ticket_id
    )
    with pytest.raises(DomainError) as refused:
        await conversation.reply(INTEGRATOR, ticket_id, "Hello?", author="recipient")
    assert refused.value.code == "TICKET_CLOSED"
    assert (await ticket_row(ticket_id))["status"] == "resolved"


async def test_one_csat_rating_after_resolution(reward):
    ticket_id = (await report(reward)).ticket_id
    with pytest.raises(DomainError) as refused:
        await conversation.rate(INTEGRATOR, ticket_id, 5)
    assert refused.value.code == "CSAT_NOT_OPEN"
    await conversation.change_status(AGENT, ticket_id, "resolved")
    with pytest.raises(DomainError) as refused:
        await conversation.rate(INTEGRATOR, ticket_id, 6)
    assert refused.value.code == "INVALID_SCORE"
    await conversation.rate(INTEGRATOR, ticket_id, 4)
    with pytest.raises(DomainError):
        await conversation.rate(INTEGRATOR, ticket_id, 1)
    assert (await ticket_row(ticket_id))["csat_score"] == 4


async def test_reading_a_ticket_needs_tickets_read_and_is_audited(reward):
    ticket_id = (await report(reward)).ticket_id
    with pytest.raises(DomainError) as refused:
        await reading.get_ticket(INTEGRATOR, ticket_id)  # tickets:write only
    assert refused.value.code == "FORBIDDEN"
    await reading.get_ticket(AGENT, ticket_id)
    await reading.get_ticket(AGENT, ticket_id)
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.read' AND entity_id = $1", str(ticket_id)) == 2


def test_only_roles_that_work_tickets_read_them():
    from backend.access.roles import Role, permissions_for

    readers = {role for role in Role if Permission.TICKETS_READ in permissions_for([role.value])}
    assert readers == {Role.ADMIN, Role.PROGRAMME_MANAGER, Role.SUPPORT_AGENT}
