"""Campaigns read by id in one go (the recipient page's Rewards card names their campaigns so)."""

from __future__ import annotations

import pytest
from campaign_steps import make_programme, points_campaign

from backend.campaigns.services import campaigns
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.errors import PermissionDenied
from backend.core.ids import new_id


async def test_exactly_the_asked_campaigns_come_back_and_missing_ids_are_absent(admin):
    programme = await make_programme()
    spot, quarterly, _other = [
        await points_campaign(admin, programme.id, name=name) for name in ("Spot awards", "Quarterly", "Other")
    ]
    missing = new_id()
    found = await campaigns.campaigns_by_ids(admin, [spot.id, missing, quarterly.id, spot.id])
    assert found == {
        spot.id: await campaigns.get_campaign(admin, spot.id),
        quarterly.id: await campaigns.get_campaign(admin, quarterly.id),
    }
    assert {campaign.name for campaign in found.values()} == {"Spot awards", "Quarterly"}
    assert await campaigns.campaigns_by_ids(admin, []) == {}
    assert await campaigns.campaigns_by_ids(admin, {missing}) == {}


async def test_reading_campaigns_needs_rewards_read(admin):
    programme = await make_programme()
    campaign = await points_campaign(admin, programme.id)
    with pytest.raises(PermissionDenied):
        await campaigns.campaigns_by_ids(
            Actor(kind=ActorKind.API_KEY, id=new_id(), label="catalogue-feed", permissions=frozenset({Permission.CATALOG_READ})),
            [campaign.id],
        )
