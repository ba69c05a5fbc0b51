"""Resending the reward from a ticket (the deliveries' resend service, audited on the ticket), and
an agent's reply delivered to the recipient through the delivery channels with a link to the claim
page's ticket thread (internal notes never sent)."""

import pytest
from delivery_steps import QUICK, delivery_row, handle
from ticket_steps import AGENT, count, report

from backend.core import sql
from backend.core.errors import DomainError
from backend.deliveries import claim_links
from backend.deliveries.services import notices, reading, sending
from backend.tickets.services import actions, conversation, reward_resend
from backend.tickets.services.claim_page import recipient_thread


async def test_a_failed_delivery_is_resent_through_the_deliveries_service(admin, reward):
    await handle(reward)
    row = await delivery_row(reward)
    await sql.fetch("UPDATE deliveries SET status = 'failed', failure_code = 'HARD_BOUNCE' WHERE id = $1", row["id"])
    opened = await report(reward, category="not_received")
    done = await reward_resend.resend_reward(AGENT, opened.ticket_id)
    assert (done.kind, done.status, done.reason, done.notice_id) == (
        "resend_reward",
        "done",
        "resent by email to asha@example.com",
        None,
    )
    assert (await delivery_row(reward))["status"] == "pending"
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'delivery.resent'") == 1
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.reward_resent'") == 1
    assert [a.kind for a in await actions.ticket_actions(AGENT, opened.ticket_id)] == ["resend_reward"]


async def test_a_sent_reward_goes_again_as_its_claim_link_in_a_new_message(admin, reward):
    await handle(reward)
    row = await delivery_row(reward)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    opened = await report(reward, category="not_received")
    done = await reward_resend.resend_reward(AGENT, opened.ticket_id)
    assert done.reason == "its claim link sent again" and done.notice_id is not None
    assert await notices.send_due_notices() == 1
    inbox = await reading.sandbox_inbox(admin)
    assert len(inbox) == 2  # the reward's message and this one
    (again,) = [m for m in inbox if m.delivery_id == done.notice_id]
    assert claim_links.claim_url(claim_links.claim_token(row["id"])) in again.text


async def test_a_resend_without_a_reward_or_on_a_closed_ticket_is_refused(admin, programme):
    from backend.core.authz import SYSTEM
    from backend.tickets.services.intake import TicketReport, open_ticket

    opened = await open_ticket(
        SYSTEM, TicketReport(category="other", message="a question", source="console", programme_id=programme.programme.id)
    )
    with pytest.raises(DomainError) as refused:
        await reward_resend.resend_reward(AGENT, opened.ticket_id)
    assert refused.value.code == "NO_REWARD"
    assert await count("SELECT COUNT(*) FROM ticket_actions") == 0


async def test_an_agent_reply_reaches_the_recipient_with_a_link_to_the_thread(admin, reward):
    await handle(reward)
    row = await delivery_row(reward)
    opened = await report(reward, category="not_received", message="Nothing arrived")
    await conversation.reply(AGENT, opened.ticket_id, "internal: check the bounce log", author="note")
    await conversation.reply(AGENT, opened.ticket_id, "Sorry <Asha>, we are looking into it.")
    (notice,) = await notices.notices_about(admin, "ticket", opened.ticket_id)  # the note was not sent
    assert (notice.channel, notice.contact, notice.status) == ("email", "asha@example.com", "pending")
    assert await notices.send_due_notices() == 1
    (message,) = [m for m in await reading.sandbox_inbox(admin) if m.delivery_id == notice.id]
    thread_url = claim_links.claim_url(claim_links.claim_token(row["id"])) + "/ticket"
    assert message.subject == "Your support request: a reply from Sam Support"
    assert "Sorry <Asha>, we are looking into it." in message.text and thread_url in message.text
    assert "Sorry &lt;Asha&gt;" in message.html  # escaped
    assert "internal" not in message.text
    thread = await recipient_thread(reward)
    assert [m.body for m in thread.messages] == ["Nothing arrived", "Sorry <Asha>, we are looking into it."]
    assert (await notices.get_notice(admin, notice.id)).status == "sent"
    assert await notices.send_due_notices() == 0  # sent once


async def test_a_bouncing_contact_leaves_the_notice_failed_with_its_reason(admin, programme):
    from delivery_steps import person

    bouncing = await person("EMP-B", email="nobody@bounces.example.com")
    issuance_id = await programme.issue(bouncing.id)
    await handle(issuance_id)
    opened = await report(issuance_id, category="not_received")
    await conversation.reply(AGENT, opened.ticket_id, "We sent it again")
    assert await notices.send_due_notices() == 0
    (notice,) = await notices.notices_about(admin, "ticket", opened.ticket_id)
    assert (notice.status, notice.error_code) == ("failed", "HARD_BOUNCE")
