"""Campaigns: validation with a specific error per bad field, the lifecycle, and the live counters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from campaign_steps import make_people, make_programme, offers_campaign, points_campaign, role_actor, stocked_live_offer
from catalogue_steps import offer_input, profile

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.catalog.services import offers
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.partners.services import profiles
from backend.rewards.services.issuance import RewardRequest, issue_reward


async def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    return caught.value


def codes(error: DomainError) -> dict[str | None, str]:
    return {e.field: e.code for e in error.errors}


async def test_a_campaign_with_every_field_wrong_names_each_field_and_writes_nothing(admin):
    programme = await make_programme()
    now = utcnow()
    error = await refused(
        campaigns.create_campaign(
            admin,
            CampaignInput(
                programme_id=new_id(),
                name=" ",
                starts_at=now,
                ends_at=now - timedelta(days=1),
                reward_type="offers",
                allowed_offer_ids=[],
                currency="XXQ",
                approval_mode="sometimes",
                max_rewards=0,
                budget=-5,
                recipient_window_days=30,
                default_channel="pigeon",
                points_value=10,
            ),
        )
    )
    assert codes(error) == {
        "name": "REQUIRED",
        "ends_at": "INVALID_DATES",
        "approval_mode": "INVALID_CHOICE",
        "default_channel": "INVALID_CHOICE",
        "max_rewards": "INVALID_NUMBER",
        "budget": "INVALID_NUMBER",
        "recipient_window_days": "WINDOW_WITHOUT_CAP",
        "points_value": "NOT_APPLICABLE",
        "currency": "INVALID_CURRENCY",
        "allowed_offer_ids": "REQUIRED",
        "programme_id": "PROGRAMME_NOT_FOUND",
    }
    naive = await refused(
        campaigns.create_campaign(
            admin,
            CampaignInput(
                programme_id=programme.id, name="Naive", starts_at=now.replace(tzinfo=None), ends_at=now, reward_type="points"
            ),
        )
    )
    assert codes(naive) == {"starts_at": "INVALID_DATE"}
    mixed = await refused(
        campaigns.create_campaign(
            admin,
            CampaignInput(
                programme_id=programme.id,
                name="Mixed",
                starts_at=now,
                ends_at=now + timedelta(days=1),
                reward_type="points",
                allowed_offer_ids=[new_id()],
                currency="INR",
            ),
        )
    )
    assert codes(mixed) == {"allowed_offer_ids": "NOT_APPLICABLE", "currency": "NOT_APPLICABLE"}
    assert (await campaigns.list_campaigns(admin)).total == 0


async def test_offers_must_exist_and_share_the_campaign_currency(admin, checker):
    programme = await make_programme()
    offer = await stocked_live_offer(admin, checker)
    missing = new_id()
    error = await refused(offers_campaign(admin, programme.id, [offer.id, missing], currency="EUR"))
    assert [(e.field, e.code) for e in error.errors] == [
        ("allowed_offer_ids", "CURRENCY_MISMATCH"),
        ("allowed_offer_ids", "OFFER_NOT_FOUND"),
    ]
    assert str(missing) in error.errors[1].message


async def test_a_campaign_in_a_currency_without_minor_units_is_refused_when_created_or_edited(admin, checker):
    programme = await make_programme()
    offer = await stocked_live_offer(admin, checker)
    error = await refused(offers_campaign(admin, programme.id, [offer.id], currency="XAU", activate=False))
    assert [(e.field, e.code, e.message) for e in error.errors] == [
        ("currency", "INVALID_CURRENCY", "XAU has no minor unit in ISO 4217: amounts cannot be kept in it")
    ]
    campaign = await offers_campaign(admin, programme.id, [offer.id], currency="inr", activate=False)
    edit = CampaignInput(
        programme_id=programme.id,
        name=campaign.name,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        reward_type="offers",
        allowed_offer_ids=[offer.id],
        currency="XDR",
    )
    assert codes(await refused(campaigns.update_campaign(admin, campaign.id, edit))) == {"currency": "INVALID_CURRENCY"}
    assert [(c.name, c.currency) for c in (await campaigns.list_campaigns(admin)).rows] == [("Festive vouchers", "INR")]


async def test_a_campaign_in_yen_takes_yen_offers(admin):
    programme = await make_programme()
    partner = await profiles.create_partner(admin, profile(name="Tokyo Tea"))
    yen_offer = await offers.create_offer(admin, partner.id, offer_input(currency="JPY", denominations=[500, 1000]))
    campaign = await offers_campaign(admin, programme.id, [yen_offer.id], currency="jpy", activate=False, budget=150_000)
    assert (campaign.currency, campaign.budget) == ("JPY", 150_000)


async def test_only_campaign_writers_create_campaigns(admin):
    programme = await make_programme()
    viewer = role_actor("viewer")
    error = await refused(points_campaign(viewer, programme.id))
    assert error.code == "FORBIDDEN"


async def test_lifecycle_draft_active_paused_ended_audited(admin):
    programme = await make_programme()
    draft = await points_campaign(admin, programme.id, activate=False)
    assert draft.status == "draft"
    assert (await refused(campaigns.pause_campaign(admin, draft.id))).code == "INVALID_STATUS_CHANGE"
    active = await campaigns.activate_campaign(admin, draft.id)
    assert active.status == "active"
    paused = await campaigns.pause_campaign(admin, draft.id, reason="budget review")
    assert paused.status == "paused"
    assert (await campaigns.activate_campaign(admin, draft.id)).status == "active"
    ended = await campaigns.end_campaign(admin, draft.id, reason="quarter closed")
    assert ended.status == "ended"
    assert (await refused(campaigns.activate_campaign(admin, draft.id))).code == "INVALID_STATUS_CHANGE"
    later = CampaignInput(
        programme_id=programme.id, name="Renamed", starts_at=ended.starts_at, ends_at=ended.ends_at, reward_type="points"
    )
    assert (await refused(campaigns.update_campaign(admin, draft.id, later))).code == "CAMPAIGN_ENDED"
    actions = [row["action"] for row in await audit.entity_history(admin, "campaign", draft.id)]
    assert actions == ["campaign.ended", "campaign.activated", "campaign.paused", "campaign.activated", "campaign.created"]


async def test_a_campaign_past_its_end_cannot_be_activated(admin):
    programme = await make_programme()
    now = utcnow()
    old = await points_campaign(
        admin, programme.id, activate=False, starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=1)
    )
    assert (await refused(campaigns.activate_campaign(admin, old.id))).code == "CAMPAIGN_OVER"


async def test_counters_follow_issuance_and_caps_cannot_go_below_them(admin):
    programme = await make_programme()
    people = await make_people(3)
    campaign = await points_campaign(admin, programme.id, max_rewards=10, budget=1000)
    assert (campaign.remaining_count, campaign.remaining_budget) == (10, 1000)
    for index, person in enumerate(people):
        outcome = await issue_reward(
            admin, RewardRequest(campaign.id, person, None, 100 * (index + 1), idempotency_key=f"k{index}")
        )
        assert outcome.status == "issued", outcome
    now = await campaigns.get_campaign(admin, campaign.id)
    assert (now.issued_count, now.issued_value, now.pending_count, now.remaining_count, now.remaining_budget) == (
        3,
        600,
        0,
        7,
        400,
    )
    lower = CampaignInput(
        programme_id=programme.id,
        name=now.name,
        starts_at=now.starts_at,
        ends_at=now.ends_at,
        reward_type="points",
        max_rewards=2,
        budget=500,
    )
    error = await refused(campaigns.update_campaign(admin, campaign.id, lower))
    assert codes(error) == {"max_rewards": "BELOW_ISSUED", "budget": "BELOW_SPENT"}
    fine = await campaigns.update_campaign(
        admin,
        campaign.id,
        CampaignInput(
            programme_id=programme.id,
            name="Quarterly points (extended)",
            starts_at=now.starts_at,
            ends_at=now.ends_at,
            reward_type="points",
            max_rewards=3,
            budget=600,
        ),
    )
    assert (fine.name, fine.remaining_count, fine.remaining_budget) == ("Quarterly points (extended)", 0, 0)
    history = await audit.entity_history(admin, "campaign", campaign.id)
    assert (
        history[0]["action"] == "campaign.updated"
        and history[0]["before"]["max_rewards"] == 10
        and history[0]["after"]["max_rewards"] == 3
    )
    listed = await campaigns.list_campaigns(admin, campaigns.CampaignFilter(search="EXTENDED", status="active"))
    assert [c.id for c in listed.rows] == [campaign.id] and listed.total == 1
