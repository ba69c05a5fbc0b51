"""The Issuance approvals page: rewards of admin-approval campaigns wait for a second person, who
approves or rejects one or a selection; the campaign is checked again at approval, each reward on
its own, and the page shows what became of each."""

from __future__ import annotations

import os
import sys
import uuid

import pytest
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # the campaign steps

from campaign_steps import make_manager, make_people, make_programme, points_campaign

from backend.campaigns.services import campaigns
from backend.core import audit
from backend.core.authz import Actor
from backend.ledger import services as ledger
from backend.rewards.services import approvals, issuances
from backend.rewards.services.issuance import RewardRequest, issue_reward


class Queue:
    def __init__(self, programme, campaign, people, issuance_ids) -> None:
        self.programme, self.campaign, self.people, self.issuance_ids = programme, campaign, people, issuance_ids


async def ask(actor: Actor, campaign, person, value: int, key: str) -> object:
    outcome = await issue_reward(
        actor, RewardRequest(campaign.id, person, None, value, idempotency_key=key, source_event=f"hr:{key}")
    )
    assert outcome.status == "pending_approval", outcome
    return outcome.issuance_id


def select(user: User, rows: list[dict]) -> None:
    """Tick rows' boxes, as the browser reports it."""
    user.find(marker="issuance-approvals-table").trigger(
        "selection", {"added": True, "rows": rows, "keys": [row["id"] for row in rows]}
    )


@pytest.fixture
async def waiting(admin: Actor) -> Queue:
    """Three rewards of 200 points asked for by a programme manager, in a campaign with a 1,000-point budget."""
    programme = await make_programme()
    people = await make_people(3)
    campaign = await points_campaign(admin, programme.id, name="Spot awards", approval_mode="admin_approval", budget=1_000)
    manager = await make_manager()
    ids = [await ask(manager, campaign, person, 200, f"spot-{number}") for number, person in enumerate(people)]
    return Queue(programme, campaign, people, ids)


async def test_approve_a_selection_then_one_refused_at_approval_then_reject(
    console: User, admin, waiting: Queue, patience, table, eventually
) -> None:
    await console.open("/issuance-approvals")
    queue = table(console, "issuance-approvals-table")
    await eventually(lambda: len(queue.rows) == 3)
    assert {(row["requested_by"], row["value"], row["reward"]) for row in queue.rows} == {
        ("manager@example.com", "200 points", "Points")
    }
    assert all((row["actions"], row["disabled"]) == (["approve", "reject"], []) for row in queue.rows)

    select(console, queue.rows[:2])
    await console.should_see("Approve selected (2)", retries=patience)
    console.find(marker="approve-selected").click()
    await console.should_see(marker="confirm-dialog", retries=patience)
    await console.should_see("400 points in all", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Approved 2 of 2.", retries=patience)
    await eventually(lambda: len(queue.rows) == 1)
    outcomes = table(console, "outcomes-table")
    assert [row["outcome"] for row in outcomes.rows] == ["Approved and issued", "Approved and issued"]
    for issuance_id, person in zip(waiting.issuance_ids[:2], waiting.people[:2]):
        assert (await issuances.get_issuance(admin, issuance_id)).status == "issued"
        assert (await ledger.balance(admin, waiting.programme.id, person)).available == 200

    # Approval checks the campaign again: paused meanwhile, the last one stays waiting and the page says why.
    await campaigns.pause_campaign(admin, waiting.campaign.id, "budget review")
    [last] = queue.rows
    console.find(marker="issuance-approvals-table").trigger("row_action", {"action": "approve", "key": last["id"]})
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Approved 0 of 1; 1 not decided (see why below).", retries=patience)
    outcomes = table(console, "outcomes-table")
    [refused] = outcomes.rows
    assert refused["outcome"] == "Not decided" and "paused" in refused["reason"].lower()
    assert (await issuances.get_issuance(admin, waiting.issuance_ids[2])).status == "pending_approval"

    console.find(marker="issuance-approvals-table").trigger("row_action", {"action": "reject", "key": last["id"]})
    await console.should_see(marker="reject-dialog", retries=patience)
    console.find(marker="decision-note").type("not in this quarter")
    console.find(marker="send-rejection").click()
    await console.should_see("Rejected 1 of 1.", retries=patience)
    rejected = await issuances.get_issuance(admin, waiting.issuance_ids[2])
    assert (rejected.status, rejected.decision_note, rejected.decided_by_label) == (
        "rejected",
        "not in this quarter",
        "admin@example.com",
    )
    after = await campaigns.get_campaign(admin, waiting.campaign.id)
    assert (after.issued_count, after.issued_value, after.pending_count, after.pending_value) == (2, 400, 0, 0)
    await eventually(lambda: queue.rows == [])


async def test_ones_own_request_is_not_offered_for_approval_and_is_refused(
    console: User, admin, waiting: Queue, patience, table, eventually
) -> None:
    own = await ask(admin, waiting.campaign, waiting.people[0], 50, "own-request")
    await console.open(f"/issuance-approvals?campaign={waiting.campaign.id}")
    queue = table(console, "issuance-approvals-table")
    await eventually(lambda: len(queue.rows) == 4)
    mine = next(row for row in queue.rows if row["id"] == str(own))
    assert (mine["actions"], mine["disabled"], mine["action_note"]) == (
        ["approve", "withdraw"],
        ["approve"],
        "You requested this; another admin must approve.",
    )
    assert mine["requested_by"] == "admin@example.com (you)"

    # One's own among a selection: Approve and Reject count only the others and say what they skipped.
    other = next(row for row in queue.rows if row["id"] != str(own))
    select(console, [mine, other])
    await console.should_see("Approve selected (1)", retries=patience)
    await console.should_see("Reject selected (1)")
    await console.should_see("Withdraw selected (1)")
    await console.should_see("1 selected reward is your own: another admin approves or rejects it; you may withdraw it.")
    console.find(marker="reject-selected").click()
    await console.should_see(marker="reject-dialog", retries=patience)
    await console.should_see(f"Reject the reward for {other['recipient']}?")
    console.find(marker="send-rejection").click()
    await console.should_see(
        "Rejected 1 of 1. 1 of your own rewards skipped: another admin approves or rejects it; you may withdraw it.",
        retries=patience,
    )
    assert (await issuances.get_issuance(admin, own)).status == "pending_approval"
    assert (await issuances.get_issuance(admin, uuid.UUID(other["id"]))).status == "rejected"

    # The service says the same to a maker who rejects rather than withdraws, and to a checker who withdraws.
    [refused] = await approvals.reject_issuances(admin, [own])
    assert (refused.status, refused.code) == ("unchanged", "SELF_APPROVAL")
    assert refused.message == "a reward you asked for is decided by someone else; withdraw it instead"
    [not_theirs] = await approvals.withdraw_issuances(admin, [waiting.issuance_ids[1]])
    assert (not_theirs.status, not_theirs.code) == ("unchanged", "NOT_REQUESTER")
    assert (await issuances.get_issuance(admin, own)).status == "pending_approval"

    # The maker's own action: Withdraw selected (the hold goes back to the campaign, nothing is issued).
    await eventually(lambda: len(queue.rows) == 3)
    mine = next(row for row in queue.rows if row["id"] == str(own))
    select(console, [mine])
    await console.should_see("Withdraw selected (1)", retries=patience)
    console.find(marker="withdraw-selected").click()
    await console.should_see("Withdraw the reward for", retries=patience)
    console.find(marker="send-rejection").click()
    await console.should_see("Withdrew 1 of 1.", retries=patience)
    assert [row["outcome"] for row in table(console, "outcomes-table").rows] == ["Withdrawn"]
    assert (await issuances.get_issuance(admin, own)).status == "rejected"
    history = [row["action"] for row in await audit.entity_history(admin, "reward_issuance", own)]
    assert history[0] == "reward.withdrawn"


async def test_nothing_waiting_says_so(console: User, admin, patience) -> None:
    await console.open("/issuance-approvals")
    await console.should_see("Nothing waits for approval.", retries=patience)
