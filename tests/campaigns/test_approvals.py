"""The approval queue: pending rewards hold count and budget, a person with campaigns:write other
than the maker approves (points credited, code allocated, reward.issued written) or rejects
(the hold released), one or many; approval re-checks the campaign."""

from __future__ import annotations

import dataclasses

import pytest
from campaign_steps import (
    api_key_actor,
    make_manager,
    make_people,
    make_programme,
    offers_campaign,
    points_campaign,
    role_actor,
    stocked_live_offer,
)

from backend.campaigns.services import approvals, campaigns
from backend.catalog.services import allocation
from backend.core import audit, sql
from backend.core.authz import SYSTEM, Permission
from backend.core.errors import DomainError
from backend.ledger import services as ledger
from backend.rewards.services import approvals as decisions
from backend.rewards.services import issuances
from backend.rewards.services.issuance import RewardRequest, issue_reward
from backend.rewards.services.rejections import RejectionCode


async def refused(code: str, call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


async def counts(campaign_id):
    c = await campaigns.get_campaign(SYSTEM, campaign_id)
    return c.issued_count, c.issued_value, c.pending_count, c.pending_value


async def test_pending_rewards_hold_the_budget_and_approval_issues_them(admin):
    programme = await make_programme()
    people = await make_people(3)
    campaign = await points_campaign(admin, programme.id, approval_mode="admin_approval", budget=250)
    key = api_key_actor()
    held = [await issue_reward(key, RewardRequest(campaign.id, person, None, 100, f"k{i}")) for i, person in enumerate(people)]
    assert [o.status for o in held] == ["pending_approval", "pending_approval", "rejected"]
    assert held[2].rejection is RejectionCode.BUDGET_EXHAUSTED  # the two pending ones hold 200 of 250
    assert await counts(campaign.id) == (0, 0, 2, 200)
    assert (await ledger.balance(SYSTEM, programme.id, people[0])).available == 0
    assert await sql.fetch("SELECT id FROM outbox_events WHERE topic = 'reward.issued'") == []
    queue = await approvals.pending_queue(admin, campaign.id)
    assert [g.id for g in queue.rows] == [held[0].issuance_id, held[1].issuance_id] and queue.total == 2
    assert queue.rows[0].requested_by_label == "pos-integration"

    decided = await decisions.approve_issuances(admin, [held[0].issuance_id, held[0].issuance_id], note="checked the sale")
    assert [(d.issuance_id, d.status) for d in decided] == [(held[0].issuance_id, "issued")]
    assert (await ledger.balance(SYSTEM, programme.id, people[0])).available == 100
    approved = await issuances.get_issuance(admin, held[0].issuance_id)
    assert (approved.status, approved.decided_by_label, approved.decision_note) == (
        "issued",
        "admin@example.com",
        "checked the sale",
    )
    assert approved.points_transfer_id is not None
    assert len(await sql.fetch("SELECT id FROM outbox_events WHERE topic = 'reward.issued'")) == 1
    rejected = await decisions.reject_issuance(admin, held[1].issuance_id, note="duplicate claim")
    assert rejected.status == "rejected"
    assert await counts(campaign.id) == (1, 100, 0, 0)
    again = await decisions.approve_issuances(admin, [held[1].issuance_id])
    assert (again[0].status, again[0].code) == ("unchanged", "NOT_PENDING")
    assert (await approvals.pending_queue(admin, campaign.id)).total == 0
    actions = [row["action"] for row in await audit.entity_history(admin, "reward_issuance", held[0].issuance_id)]
    assert actions == ["reward.approved", "reward.pending_approval"]
    # The released 100 is budget again.
    assert (await issue_reward(key, RewardRequest(campaign.id, people[2], None, 100, "k9"))).status == "pending_approval"


async def test_who_may_approve(admin):
    programme = await make_programme()
    (person,) = await make_people(1)
    manager = await make_manager()
    campaign = await points_campaign(admin, programme.id, approval_mode="admin_approval")
    own = await issue_reward(manager, RewardRequest(campaign.id, person, None, 10, "mine"))
    await refused("SELF_APPROVAL", decisions.approve_issuance(manager, own.issuance_id))
    key = api_key_actor()
    powerful_key = dataclasses.replace(key, permissions=key.permissions | {Permission.CAMPAIGNS_WRITE})
    await refused("APPROVER_REQUIRED", decisions.approve_issuance(powerful_key, own.issuance_id))
    await refused("FORBIDDEN", decisions.approve_issuance(role_actor("viewer"), own.issuance_id))
    assert (await issuances.get_issuance(admin, own.issuance_id)).status == "pending_approval"
    assert (await decisions.approve_issuance(admin, own.issuance_id)).status == "issued"


async def test_approval_rechecks_the_campaign_and_stock(admin, checker):
    programme = await make_programme()
    people = await make_people(3)
    offer = await stocked_live_offer(admin, checker, codes=1)
    campaign = await offers_campaign(admin, programme.id, [offer.id], approval_mode="admin_approval")
    held = [
        await issue_reward(admin, RewardRequest(campaign.id, person, offer.id, 50000, f"v{i}"))
        for i, person in enumerate(people[:2])
    ]
    assert all(o.status == "pending_approval" for o in held)
    manager = await make_manager()
    await campaigns.pause_campaign(admin, campaign.id)
    await refused("CAMPAIGN_NOT_ACTIVE", decisions.approve_issuance(manager, held[0].issuance_id))
    await campaigns.activate_campaign(admin, campaign.id)
    results = await decisions.approve_issuances(manager, [h.issuance_id for h in held])
    assert [(r.status, r.code) for r in results] == [("issued", None), ("unchanged", "OUT_OF_STOCK")]
    assert (await allocation.allocation_for(admin, held[0].issuance_id)).status == "allocated"
    assert await counts(campaign.id) == (1, 50000, 1, 50000)
    rejected = await decisions.reject_issuances(manager, [held[1].issuance_id])
    assert rejected[0].status == "rejected"
    assert await counts(campaign.id) == (1, 50000, 0, 0)
