"""Steps the partner and catalogue tests share: a valid profile, a second admin, working a stage."""

from __future__ import annotations

import uuid

from backend.access import services as access
from backend.access.roles import permissions_for
from backend.core.authz import SYSTEM, Actor, ActorKind
from backend.core.ids import new_id
from backend.partners import checklist
from backend.partners.services import onboarding
from backend.partners.services.profiles import PartnerProfileInput
from backend.partners.views import Contact


def profile(**overrides) -> PartnerProfileInput:
    values = {
        "name": "Chai Point",
        "source": "client_sourced",
        "category": "Dining",
        "countries": ["IN", "deu"],
        "reward_types": ["voucher", "gift_card"],
        "audience_fit": "Office staff, daily coffee",
        "contacts": [Contact(name="Ravi Menon", role="Partnerships", email="Ravi@ChaiPoint.example", phone="+91 98123 45678")],
    }
    return PartnerProfileInput(**(values | overrides))


async def make_admin(email: str) -> Actor:
    user = await access.create_user(SYSTEM, email, email.split("@")[0].title(), "correct horse battery", ["admin"])
    return access.actor_for_user(user)


async def work_stage(actor: Actor, partner_id: uuid.UUID, stage_key: str, sign_off: bool = True) -> None:
    """Complete every hand-ticked item of the stage with a note, and sign it off."""
    for item in checklist.stage(stage_key).items:
        if not item.automated:
            await onboarding.complete_checklist_item(actor, partner_id, stage_key, item.key, note=f"checked {item.key}")
    if sign_off:
        await onboarding.sign_off_stage(actor, partner_id, stage_key)


def role_actor(role: str, label: str | None = None) -> Actor:
    """An actor holding one role, without a user row: for permission checks."""
    return Actor(kind=ActorKind.USER, id=new_id(), label=label or f"{role}@example.com", permissions=permissions_for([role]))
