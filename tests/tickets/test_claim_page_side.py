"""The recipient's side, as the claim page will call it: report, read (no notes), answer, rate once."""

import pytest
from ticket_steps import AGENT, report

from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.tickets.services import claim_page, conversation


async def test_a_recipient_reports_reads_answers_and_rates(reward):
    opened = await claim_page.report_problem(reward, "code_invalid", "The till says the code is unknown")
    again = await claim_page.report_problem(reward, "code_invalid", "Still unknown")
    assert again.joined and again.ticket_id == opened.ticket_id
    await conversation.reply(AGENT, opened.ticket_id, "A partner outage, checking", author="note")
    await conversation.reply(AGENT, opened.ticket_id, "Here is a new code")
    thread = await claim_page.recipient_thread(reward)
    assert [m.kind for m in thread.messages] == ["recipient", "recipient", "agent"]
    assert thread.ticket.source == "claim_page" and thread.ticket.status == "waiting_on_recipient"
    await claim_page.recipient_reply(reward, opened.ticket_id, "It works, thanks")
    assert (await claim_page.recipient_thread(reward)).ticket.status == "open"
    await conversation.change_status(AGENT, opened.ticket_id, "resolved")
    await claim_page.rate_resolution(reward, opened.ticket_id, 5)
    with pytest.raises(DomainError) as refused:
        await claim_page.rate_resolution(reward, opened.ticket_id, 1)
    assert refused.value.code == "CSAT_NOT_OPEN"


async def test_a_recipient_reaches_only_their_own_rewards_tickets(programme, reward):
    from delivery_steps import person

    other_reward = await programme.issue((await person("EMP-2", email="ravi@example.com")).id)
    theirs = (await report(other_reward)).ticket_id
    with pytest.raises(DomainError) as refused:
        await claim_page.recipient_reply(reward, theirs, "let me in")
    assert refused.value.code == "NOT_FOUND"
    with pytest.raises(DomainError):
        await claim_page.recipient_thread(reward, theirs)
    with pytest.raises(DomainError):
        await claim_page.recipient_thread(new_id())
