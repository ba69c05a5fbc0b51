"""A replacement code as a ticket action: the old code voided and never shown again (claim page,
console, API views), the new one from stock revealed on the claim page and sent through the
delivery channels; above the programme's approval value only after a second person approves."""

import asyncio

import pytest
from code_steps import code_rows, delivered_code_reward, revealed_code
from ticket_steps import AGENT, count, report

from backend.catalog.services import stock
from backend.core.authz import SYSTEM, Actor, ActorKind
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.deliveries.services import notices, reading
from backend.rewards.services import summaries
from backend.tickets.services import actions, code_reissue, desk
from backend.tickets.services import reading as ticket_reading


async def test_the_old_code_is_voided_and_the_new_one_reaches_the_recipient(admin, code_reward):
    old = await revealed_code(code_reward)
    (before,) = await code_rows(code_reward.issuance_id)
    opened = await report(code_reward.issuance_id, category="code_invalid")
    done = await code_reissue.request_code_reissue(AGENT, opened.ticket_id, "refused at the till")
    assert done.status == "done" and done.kind == "reissue_code" and done.amount == 50000
    voided, held = sorted(await code_rows(code_reward.issuance_id), key=lambda row: row["status"] != "voided")
    assert (voided["status"], voided["allocated_to"], voided["voided_from"]) == ("voided", None, code_reward.issuance_id)
    assert (held["status"], done.voided_code_id, done.result_code_id) == (before["status"], voided["id"], held["id"])
    new = await revealed_code(code_reward)  # the claim page shows the new code
    assert new != old
    # The console's and the API's views of the stock: the voided code is not opened, not even masked.
    page = await stock.list_voucher_codes(admin, code_reward.offer_id)
    shown = {row.id: row.code_masked for row in page.rows}
    assert shown[voided["id"]] == "(voided)" and old[-4:] not in shown[voided["id"]]
    assert [row.id for row in (await stock.list_voucher_codes(admin, code_reward.offer_id, status="voided")).rows] == [
        voided["id"]
    ]
    (level,) = await stock.stock_levels(admin, code_reward.offer_id)
    assert (level.available, level.allocated + level.confirmed) == (3, 1)  # 5 codes: one voided, one held
    # The recipient's message: sent by the sandbox with the new code, never the old one.
    assert await notices.send_due_notices() == 1
    (message,) = [m for m in await reading.sandbox_inbox(admin) if m.delivery_id == done.notice_id]
    assert message.recipient == "asha@example.com" and message.subject == "Your reward: a new code"
    assert new in message.text and old not in message.text and new in message.html
    assert "/claim/" + code_reward.token in message.text
    thread = await ticket_reading.get_ticket(AGENT, opened.ticket_id)
    assert thread.messages[-1].body == code_reissue.THREAD_LINE
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.code_reissued'") == 1
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'voucher_code.voided'") == 1
    assert (await summaries.reward_summary(SYSTEM, code_reward.issuance_id)).issuance.status == "issued"


async def test_above_the_approval_value_a_second_person_approves_once(code_reward):
    old = await revealed_code(code_reward)
    await desk.set_desk_settings(SYSTEM, code_reward.programme_id, desk.DeskSettings(approval_above_minor=10000))
    opened = await report(code_reward.issuance_id)
    pending = await code_reissue.request_code_reissue(AGENT, opened.ticket_id, "refused at the till")
    assert pending.status == "pending_approval" and pending.notice_id is None
    with pytest.raises(DomainError) as refused:  # asked twice: the first waits for its approval
        await code_reissue.request_code_reissue(AGENT, opened.ticket_id, "refused at the till")
    assert refused.value.code == "ACTION_PENDING"
    assert await revealed_code(code_reward) == old  # nothing yet
    with pytest.raises(DomainError) as refused:
        await actions.approve_action(AGENT, pending.id)
    assert refused.value.code == "SELF_APPROVAL"
    lead, second = (Actor(ActorKind.USER, new_id(), name, AGENT.permissions) for name in ("Lee Lead", "Kim Second"))
    outcomes = await asyncio.gather(
        actions.approve_action(lead, pending.id), actions.approve_action(second, pending.id), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ActionView", "DomainError"]
    assert [row["status"] for row in await code_rows(code_reward.issuance_id)] == ["allocated", "voided"]  # once
    assert await revealed_code(code_reward) != old
    assert await count("SELECT COUNT(*) FROM delivery_notices") == 1


async def test_out_of_stock_or_no_code_changes_nothing(admin, checker):
    reward = await delivered_code_reward(admin, checker, codes=1)
    old = await revealed_code(reward)
    opened = await report(reward.issuance_id)
    with pytest.raises(DomainError) as refused:
        await code_reissue.request_code_reissue(AGENT, opened.ticket_id, "refused")
    assert refused.value.code == "OUT_OF_STOCK"
    assert [row["status"] for row in await code_rows(reward.issuance_id)] == ["allocated"]
    assert await revealed_code(reward) == old
    assert await count("SELECT COUNT(*) FROM ticket_actions") == 0 and await count("SELECT COUNT(*) FROM delivery_notices") == 0
    with pytest.raises(DomainError) as refused:
        await code_reissue.request_code_reissue(AGENT, opened.ticket_id, "  ")
    assert refused.value.code == "REASON_REQUIRED"


async def test_a_points_reward_has_no_code_to_replace(reward):
    opened = await report(reward)
    with pytest.raises(DomainError) as refused:
        await code_reissue.request_code_reissue(AGENT, opened.ticket_id, "refused")
    assert refused.value.code == "NO_CODE_REWARD"
