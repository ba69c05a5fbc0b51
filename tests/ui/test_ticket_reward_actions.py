"""The ticket page's actions on the reward: issue a new code from stock (the old one voided, the
new one sent to the recipient, the page saying so and listing the message), resend the reward, and
a second person's approval above the programme's approval value."""

from __future__ import annotations

import os
import sys

import pytest
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tickets"))  # code_steps, ticket_steps

from code_steps import code_rows, delivered_code_reward, revealed_code
from ticket_steps import report

import ui.main  # noqa: F401  the console's pages import one another in its order
from backend.core.authz import SYSTEM
from backend.tickets.services import actions, desk


@pytest.fixture
async def code_ticket(admin):
    from campaign_steps import role_actor

    reward = await delivered_code_reward(admin, role_actor("admin", "checker@example.com"))
    return reward, (await report(reward.issuance_id, category="code_invalid")).ticket_id


async def _reissue(console: User, ticket_id, patience) -> None:
    await console.open(f"/tickets/{ticket_id}")
    await console.should_see(marker="reward-actions", retries=patience)
    console.find(marker="reissue-code").click()
    await console.should_see(marker="reason-dialog", retries=patience)
    console.find(marker="action-reason").type("refused at the till")
    console.find(marker="reason-ok").click()


async def test_an_agent_issues_a_new_code_from_the_ticket(console: User, admin, code_ticket, patience, table, eventually) -> None:
    reward, ticket_id = code_ticket
    old = await revealed_code(reward)
    await _reissue(console, ticket_id, patience)
    await console.should_see("A new code was issued and sent to the recipient; the old code is voided.", retries=patience)
    await console.should_see(marker="action-done", retries=patience)
    await console.should_see("Your reward: a new code · email to asha@example.com · queued", retries=patience)
    assert [row["status"] for row in await code_rows(reward.issuance_id)] == ["allocated", "voided"]
    assert await revealed_code(reward) != old

    # The offer's stock page lists the voided code as voided, never opened again (not even masked).
    await console.open(f"/offers/{reward.offer_id}/stock")
    await console.should_see(marker="codes-table", retries=patience)
    codes = table(console, "codes-table")
    await eventually(lambda: len(codes.rows) == 5)
    voided = [row for row in codes.rows if row["status"] == "Voided"]
    assert [(row["code"], row["pin"]) for row in voided] == [("(voided)", "—")]

    await console.open(f"/tickets/{ticket_id}")
    await console.should_see(marker="resend-reward", retries=patience)
    console.find(marker="resend-reward").click()
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Reward resent: its claim link sent again.", retries=patience)


async def test_above_the_approval_value_the_page_waits_for_a_second_person(console: User, admin, code_ticket, patience) -> None:
    reward, ticket_id = code_ticket
    await desk.set_desk_settings(SYSTEM, reward.programme_id, desk.DeskSettings(approval_above_minor=100))
    await _reissue(console, ticket_id, patience)
    await console.should_see("New code issued: waiting for a second person's approval.", retries=patience)
    await console.should_see(marker="action-pending_approval", retries=patience)
    # Not approved by the one who asked: the house's one pattern, the reason in words and Withdraw.
    await console.should_see(marker="maker-reason", retries=patience)
    await console.should_see(marker="withdraw-action", retries=patience)
    await console.should_not_see(marker="reject-action")
    await console.should_not_see(marker="approve-refund")  # a new code is no points refund: decided here only
    assert [row["status"] for row in await code_rows(reward.issuance_id)] == ["allocated"]
    (pending,) = await actions.ticket_actions(admin, ticket_id)
    assert pending.status == "pending_approval"
