"""Steps the campaign and rewards tests share: a programme with people, a live stocked offer, and
campaigns of either kind, active now."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue steps

from catalogue_steps import TERMS, offer_input, onboard_to_live, role_actor, stock_file

from backend.access import services as access
from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.catalog.services import offers, stock_import
from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.clock import utcnow
from backend.core.ids import new_id
from backend.recipients import services as recipients

__all__ = [
    "TERMS",
    "api_key_actor",
    "make_manager",
    "make_people",
    "make_programme",
    "offers_campaign",
    "points_campaign",
    "role_actor",
    "stocked_live_offer",
]


def api_key_actor(label: str = "pos-integration") -> Actor:
    """An integrator's API key with the rewards:write scope (no points or catalogue scopes)."""
    return Actor(
        kind=ActorKind.API_KEY,
        id=new_id(),
        label=label,
        permissions=frozenset({Permission.REWARDS_WRITE, Permission.REWARDS_READ}),
    )


async def make_manager(email: str = "manager@example.com") -> Actor:
    user = await access.create_user(SYSTEM, email, email.split("@")[0].title(), "correct horse battery", ["programme_manager"])
    return access.actor_for_user(user)


async def make_programme(name: str = "Sales Stars"):
    return await recipients.create_programme(SYSTEM, name, "INR", "0.25")


async def make_people(count: int, prefix: str = "EMP", **attributes) -> list:
    ids = []
    for index in range(count):
        result = await recipients.upsert_recipient(
            SYSTEM,
            recipients.RecipientInput(
                external_id=f"{prefix}-{index}",
                full_name=f"Person {prefix} {index}",
                email=f"{prefix.lower()}{index}@example.com",
                country="IN",
                hr_attributes=dict(attributes),
            ),
        )
        ids.append(result.recipient.id)
    return ids


async def stocked_live_offer(admin: Actor, checker: Actor, codes: int = 5, rule: str | None = None):
    """A live partner's live offer with ``codes`` codes of 50000 (INR 500.00); optionally an eligibility rule."""
    _partner, offer = await onboard_to_live(admin, checker, codes=codes)
    if rule is not None:
        offer = await offers.update_offer(admin, offer.id, offer_input(title=offer.title, eligibility_rule=rule))
    return await offers.change_offer_status(admin, offer.id, "live")


def _dates(**changes):
    now = utcnow()
    return {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=30)} | changes


async def points_campaign(actor: Actor, programme_id, *, activate: bool = True, **changes):
    data = CampaignInput(
        **({"programme_id": programme_id, "name": "Quarterly points", "reward_type": "points"} | _dates() | changes)
    )
    campaign = await campaigns.create_campaign(actor, data)
    return await campaigns.activate_campaign(actor, campaign.id) if activate else campaign


async def offers_campaign(actor: Actor, programme_id, offer_ids: list, *, activate: bool = True, **changes):
    data = CampaignInput(
        **(
            {
                "programme_id": programme_id,
                "name": "Festive vouchers",
                "reward_type": "offers",
                "allowed_offer_ids": list(offer_ids),
                "currency": "INR",
            }
            | _dates()
            | changes
        )
    )
    campaign = await campaigns.create_campaign(actor, data)
    return await campaigns.activate_campaign(actor, campaign.id) if activate else campaign


async def import_codes(admin: Actor, offer_id, count: int, denomination: int = 50000, prefix: str = "EXTRA"):
    rows = [f"{prefix}-{index:05},,{denomination}," for index in range(count)]
    await stock_import.import_voucher_codes(admin, offer_id, stock_file(*rows), f"{prefix}.csv")
