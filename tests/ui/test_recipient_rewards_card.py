"""The recipient page's Rewards card: each reward names its campaign (all campaigns of a page read
in one query) and shows its value in the campaign's money or points."""

from __future__ import annotations

import os
import sys

from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # the campaign steps

from campaign_steps import make_people, make_programme, offers_campaign, points_campaign, role_actor, stocked_live_offer

from backend.rewards.services.issuance import RewardRequest, issue_reward


async def test_rewards_of_several_campaigns_each_name_their_campaign(console: User, admin, patience, table, eventually) -> None:
    programme = await make_programme("Sales Stars")
    (person,) = await make_people(1)
    offer = await stocked_live_offer(admin, role_actor("admin", "checker@example.com"))
    spot = await points_campaign(admin, programme.id, name="Spot awards")
    festive = await offers_campaign(admin, programme.id, [offer.id], name="Festive vouchers")
    for key, request in (
        ("spot-1", RewardRequest(spot.id, person, None, 150, idempotency_key="spot-1")),
        ("festive-1", RewardRequest(festive.id, person, offer.id, 50_000, idempotency_key="festive-1")),
        ("spot-2", RewardRequest(spot.id, person, None, 40, idempotency_key="spot-2")),
    ):
        assert (await issue_reward(admin, request)).status == "issued", key

    await console.open(f"/recipients/{person}")
    await console.should_see(marker="recipient-rewards", retries=patience)
    rewards = table(console, "recipient-rewards-table")
    await eventually(lambda: len(rewards.rows) == 3)
    assert sorted((row["campaign"], row["value"], row["href"]) for row in rewards.rows) == [
        ("Festive vouchers", "₹500.00", f"/campaigns/{festive.id}"),
        ("Spot awards", "150 points", f"/campaigns/{spot.id}"),
        ("Spot awards", "40 points", f"/campaigns/{spot.id}"),
    ]


async def test_a_support_agent_reads_the_offer_name_not_its_id(
    admin, user: User, sign_in, create_person, patience, table, eventually
) -> None:
    programme = await make_programme("Sales Stars")
    (person,) = await make_people(1)
    offer = await stocked_live_offer(admin, role_actor("admin", "checker@example.com"))
    festive = await offers_campaign(admin, programme.id, [offer.id], name="Festive vouchers")
    request = RewardRequest(festive.id, person, offer.id, 50_000, idempotency_key="festive-1")
    assert (await issue_reward(admin, request)).status == "issued"
    await create_person("sam@example.com", ["support_agent"])  # no catalog:read
    await sign_in("sam@example.com", "a long enough password", path=f"/recipients/{person}")
    await user.should_see(marker="recipient-rewards", retries=patience)
    rewards = table(user, "recipient-rewards-table")
    await eventually(lambda: len(rewards.rows) == 1)
    assert rewards.rows[0]["reward"] == offer.title
    assert str(offer.id) not in str(rewards.rows)
