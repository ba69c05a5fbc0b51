"""A "code already used" ticket resolved with the agent confirming the code was used: the reward's
redemption and spend in partner performance, once, whoever else reports the code; any other move
or ticket that claims it is refused and changes nothing."""

from __future__ import annotations

import json

import pytest
from code_steps import revealed_code
from ticket_steps import AGENT, report, ticket_row

from backend.catalog.services import offer_rows
from backend.core import outbox, sql
from backend.core.audit import entity_history
from backend.core.errors import DomainError
from backend.insights import metrics, redemptions
from backend.insights.redemptions import UsedCode
from backend.tickets.services import conversation
from jobs.insights import HANDLERS


async def confirmed_events() -> list:
    return list(await sql.fetch("SELECT id, payload FROM outbox_events WHERE topic = 'ticket.code_use_confirmed'"))


async def test_resolving_confirming_the_code_used_records_one_redemption(code_reward, admin):
    code = await revealed_code(code_reward)
    wrong = (await report(code_reward.issuance_id, category="not_received", message="Where is it?")).ticket_id
    with pytest.raises(DomainError) as refused:
        await conversation.change_status(AGENT, wrong, "resolved", code_used=True)
    assert (refused.value.code, refused.value.errors[0].field) == ("CODE_USE_INVALID", "code_used")
    assert (await ticket_row(wrong))["status"] == "new"
    await conversation.change_status(AGENT, wrong, "closed")

    ticket = (await report(code_reward.issuance_id, category="code_already_used", message="The till says used")).ticket_id
    assert ticket != wrong
    with pytest.raises(DomainError) as refused:
        await conversation.change_status(AGENT, ticket, "waiting_on_recipient", code_used=True)
    assert (refused.value.code, refused.value.errors[0].field) == ("CODE_USE_INVALID", "code_used")
    assert (await ticket_row(ticket))["status"] == "new"
    assert await confirmed_events() == []

    assert await conversation.change_status(AGENT, ticket, "resolved", code_used=True) == "resolved"
    [event] = await confirmed_events()
    payload = event["payload"] if isinstance(event["payload"], dict) else json.loads(event["payload"])
    assert payload["issuance_id"] == str(code_reward.issuance_id)
    assert "ticket.code_use_confirmed" in [entry["action"] for entry in await entity_history(admin, "ticket", ticket)]
    assert await outbox.process(event["id"], HANDLERS) == "done"

    partner_id = (await offer_rows.load_offers([code_reward.offer_id]))[code_reward.offer_id].partner_id
    day = (await ticket_row(ticket))["resolved_at"].date()
    [figures] = await metrics.partner_figures(code_reward.programme_id, day, day)
    assert (figures.partner_id, figures.redemptions, figures.spend_minor) == (partner_id, 1, 50_000)
    # The partner reports the same code used afterwards: one reward, one redemption.
    [outcome] = await redemptions.report_codes_used(admin, partner_id, [UsedCode(code)])
    assert outcome.status == "already_recorded"
    [figures] = await metrics.partner_figures(code_reward.programme_id, day, day)
    assert figures.redemptions == 1
