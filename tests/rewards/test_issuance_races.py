"""A campaign's caps and budget under concurrency (DESIGN.md rule 3), on PostgreSQL, against the
campaign's counter shards (``campaigns.services.counters``): many issuances at once never exceed
the maximum count (also one smaller than the number of shards), a recipient's cap (lifetime or
rolling window) or the budget (also exhausted by uneven amounts), holds for approval give back
exactly what they held, an edit of the maximum while issuing stays exact, and concurrent replays of
one key issue once.

Each was seen to fail without its guard: without the shard UPDATE's ``remaining_count >= 1`` or
``remaining_budget >= value`` term the shards' CHECK refuses the overrun (the calls fail with a
CheckViolationError instead of a clean CAP_REACHED / BUDGET_EXHAUSTED); without the sum's count
check under the lock, 200 of 200 were issued against a cap of 5 (without its budget check, the
CHECK again); with a rejection giving nothing back, no hold could be taken again; with the edit
reading the shards without locking them, 160 were issued against a new maximum of 150; without the
tally upsert's WHERE, one recipient got 100 rewards over a cap of 3; without ON CONFLICT on the
idempotency record, concurrent replays failed with a UniqueViolationError. (Before the shard tried
first was given up by rolling back, the race tests deadlocked: see ``counters.take``.)"""

from __future__ import annotations

import asyncio

import pytest
from campaign_steps import api_key_actor, make_people, make_programme, points_campaign

from backend.campaigns.services import campaigns, counters
from backend.campaigns.services.campaigns import CampaignInput
from backend.core import sql
from backend.core.authz import SYSTEM
from backend.ledger import services as ledger
from backend.rewards.services import approvals as decisions
from backend.rewards.services.issuance import RewardRequest, issue_reward
from backend.rewards.services.rejections import RejectionCode


@pytest.fixture
def postgres(db):
    if db.kind != "postgres":
        pytest.skip("about PostgreSQL concurrency: on SQLite, BEGIN IMMEDIATE runs issuances one at a time")
    return db


async def issued_rows(campaign_id) -> int:
    return int((await sql.fetchrow("SELECT COUNT(*) AS n FROM reward_issuances WHERE campaign = $1", campaign_id))["n"])


async def test_a_thousand_concurrent_issuances_against_a_cap_of_100_issue_exactly_100(postgres, admin):
    programme = await make_programme()
    people = await make_people(20)
    campaign = await points_campaign(admin, programme.id, max_rewards=100)
    outcomes = await asyncio.gather(
        *(
            issue_reward(
                admin, RewardRequest(campaign.id, people[index % len(people)], None, 10, idempotency_key=f"call-{index}")
            )
            for index in range(1000)
        )
    )
    statuses = [outcome.status for outcome in outcomes]
    assert statuses.count("issued") == 100
    assert {outcome.rejection for outcome in outcomes if outcome.status == "rejected"} == {RejectionCode.CAP_REACHED}
    after = await campaigns.get_campaign(SYSTEM, campaign.id)
    assert (after.issued_count, after.issued_value, after.remaining_count) == (100, 1000, 0)
    assert await issued_rows(campaign.id) == 100
    credited = sum([(await ledger.balance(SYSTEM, programme.id, person)).available for person in people])
    assert credited == 1000


@pytest.mark.parametrize("window_days", [None, 30])
async def test_one_recipient_never_exceeds_the_per_recipient_cap(postgres, admin, window_days):
    programme = await make_programme()
    people = await make_people(2)
    campaign = await points_campaign(
        admin, programme.id, recipient_max_count=3, recipient_max_value=1000, recipient_window_days=window_days
    )
    outcomes = await asyncio.gather(
        *(
            issue_reward(admin, RewardRequest(campaign.id, people[index % 2], None, 50, idempotency_key=f"r-{index}"))
            for index in range(200)
        )
    )
    issued = [outcome for outcome in outcomes if outcome.status == "issued"]
    assert len(issued) == 6  # three each
    assert {outcome.rejection for outcome in outcomes if outcome.status == "rejected"} == {RejectionCode.RECIPIENT_CAP_REACHED}
    for person in people:
        assert (await ledger.balance(SYSTEM, programme.id, person)).available == 150


async def test_the_budget_is_never_overspent(postgres, admin):
    programme = await make_programme()
    people = await make_people(10)
    campaign = await points_campaign(admin, programme.id, budget=1000)
    outcomes = await asyncio.gather(
        *(
            issue_reward(admin, RewardRequest(campaign.id, people[index % 10], None, 7, idempotency_key=f"b-{index}"))
            for index in range(400)
        )
    )
    assert sum(outcome.status == "issued" for outcome in outcomes) == 142  # 142 × 7 = 994; a 143rd would need 1001
    assert {outcome.rejection for outcome in outcomes if outcome.status == "rejected"} == {RejectionCode.BUDGET_EXHAUSTED}
    after = await campaigns.get_campaign(SYSTEM, campaign.id)
    assert (after.issued_value, after.remaining_budget) == (994, 6)


async def test_concurrent_replays_of_one_key_issue_once(postgres, admin):
    programme = await make_programme()
    (person,) = await make_people(1)
    campaign = await points_campaign(admin, programme.id)
    request = RewardRequest(campaign.id, person, None, 40, idempotency_key="same-key", source_event="pos:sale:1")
    outcomes = await asyncio.gather(*(issue_reward(admin, request) for _ in range(100)))
    assert len({outcome.issuance_id for outcome in outcomes}) == 1
    assert sorted(outcome.replayed for outcome in outcomes) == [False] + [True] * 99
    assert await issued_rows(campaign.id) == 1
    assert (await ledger.balance(SYSTEM, programme.id, person)).available == 40


async def shard_totals(campaign_id) -> dict:
    """The campaign's shards summed: what they counted and what they have left (None: no limit)."""
    rows = await sql.fetch("SELECT * FROM campaign_counter_shards WHERE campaign = $1", campaign_id)
    assert len(rows) == counters.SHARDS
    assert all(row[column] is None or row[column] >= 0 for row in rows for column in ("remaining_count", "remaining_budget"))
    total = {
        column: sum(row[column] for row in rows) for column in ("issued_count", "issued_value", "pending_count", "pending_value")
    }
    for column in ("remaining_count", "remaining_budget"):
        total[column] = None if rows[0][column] is None else sum(row[column] for row in rows)
    return total


async def test_a_cap_smaller_than_the_number_of_shards_is_exact(postgres, admin):
    programme = await make_programme()
    people = await make_people(10)
    assert counters.SHARDS > 5
    campaign = await points_campaign(admin, programme.id, max_rewards=5)
    outcomes = await asyncio.gather(
        *(issue_reward(admin, RewardRequest(campaign.id, people[index % 10], None, 10, f"s-{index}")) for index in range(200))
    )
    assert sum(outcome.status == "issued" for outcome in outcomes) == 5
    assert {outcome.rejection for outcome in outcomes if outcome.status == "rejected"} == {RejectionCode.CAP_REACHED}
    assert await issued_rows(campaign.id) == 5
    totals = await shard_totals(campaign.id)
    assert (totals["issued_count"], totals["remaining_count"]) == (5, 0)


async def test_a_budget_exhausted_by_uneven_amounts_is_exact(postgres, admin):
    programme = await make_programme()
    people = await make_people(10)
    campaign = await points_campaign(admin, programme.id, budget=1000)
    values = [(7, 13, 50, 120, 333, 1)[index % 6] for index in range(300)]
    outcomes = await asyncio.gather(
        *(
            issue_reward(admin, RewardRequest(campaign.id, people[index % 10], None, value, f"u-{index}"))
            for index, value in enumerate(values)
        )
    )
    spent = sum(value for value, outcome in zip(values, outcomes, strict=True) if outcome.status == "issued")
    refused = [value for value, outcome in zip(values, outcomes, strict=True) if outcome.status == "rejected"]
    assert {outcome.rejection for outcome in outcomes if outcome.status == "rejected"} == {RejectionCode.BUDGET_EXHAUSTED}
    totals = await shard_totals(campaign.id)
    assert totals["issued_value"] == spent and totals["remaining_budget"] == 1000 - spent >= 0
    # A refusal means the sum truly had no room: what is left now (it only shrinks) is below every refused value.
    assert refused and totals["remaining_budget"] < min(refused)
    credited = sum([(await ledger.balance(SYSTEM, programme.id, person)).available for person in people])
    assert credited == spent


async def test_holds_for_approval_take_and_give_back_exactly(postgres, admin):
    programme = await make_programme()
    people = await make_people(10)
    campaign = await points_campaign(admin, programme.id, max_rewards=10, budget=10_000, approval_mode="admin_approval")
    maker = api_key_actor()  # the approver is never the maker
    first = await asyncio.gather(
        *(issue_reward(maker, RewardRequest(campaign.id, people[index % 10], None, 100, f"h-{index}")) for index in range(50))
    )
    held = [outcome.issuance_id for outcome in first if outcome.status == "pending_approval"]
    assert len(held) == 10
    await asyncio.gather(*(decisions.reject_issuance(admin, issuance_id) for issuance_id in held[:3]))
    await asyncio.gather(*(decisions.approve_issuance(admin, issuance_id) for issuance_id in held[3:5]))
    again = await asyncio.gather(
        *(issue_reward(maker, RewardRequest(campaign.id, people[index % 10], None, 100, f"h2-{index}")) for index in range(50))
    )
    assert sum(outcome.status == "pending_approval" for outcome in again) == 3  # what the rejections gave back
    totals = await shard_totals(campaign.id)
    assert (totals["issued_count"], totals["pending_count"], totals["remaining_count"]) == (2, 8, 0)
    assert (totals["issued_value"], totals["pending_value"], totals["remaining_budget"]) == (200, 800, 9000)


async def test_an_edit_of_the_maximum_while_issuing_stays_exact(postgres, admin):
    programme = await make_programme()
    people = await make_people(10)
    campaign = await points_campaign(admin, programme.id, max_rewards=100)
    edit = CampaignInput(
        programme_id=programme.id,
        name=campaign.name,
        reward_type="points",
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        max_rewards=150,
    )

    async def raise_the_cap():
        await asyncio.sleep(0.05)
        return await campaigns.update_campaign(admin, campaign.id, edit)

    *outcomes, edited = await asyncio.gather(
        *(issue_reward(admin, RewardRequest(campaign.id, people[index % 10], None, 10, f"e-{index}")) for index in range(400)),
        raise_the_cap(),
    )
    issued = sum(outcome.status == "issued" for outcome in outcomes)
    totals = await shard_totals(campaign.id)
    assert edited.max_rewards == 150
    assert issued == totals["issued_count"] == await issued_rows(campaign.id) <= 150
    assert totals["issued_count"] + totals["remaining_count"] == 150
