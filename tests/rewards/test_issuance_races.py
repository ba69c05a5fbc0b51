"""A campaign's caps and budget under concurrency (DESIGN.md rule 3), on PostgreSQL: many
issuances at once never exceed the maximum count, a recipient's cap (lifetime or rolling window)
or the budget, and concurrent replays of one key issue once.

Each was seen to fail without its guard: with the campaign UPDATE's cap/budget terms removed the
database's CHECK refuses the overrun (the calls fail with an IntegrityError instead of a clean
CAP_REACHED / BUDGET_EXHAUSTED); with the tally upsert's WHERE removed (lifetime cap) or the tally
lock skipped (window cap), one recipient gets more than the cap."""

from __future__ import annotations

import asyncio

import pytest
from campaign_steps import make_people, make_programme, points_campaign

from backend.campaigns.services import campaigns
from backend.core import sql
from backend.core.authz import SYSTEM
from backend.ledger import services as ledger
from backend.rewards.services.issuance import RejectionCode, RewardRequest, issue_reward


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
