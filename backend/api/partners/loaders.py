"""Batch loads of the partners domain, for per-request DataLoaders (``ApiContext.loader``)."""

from __future__ import annotations

import uuid

from backend.core.authz import Actor
from backend.partners.services import onboarding, profiles, progress
from backend.partners.views import OnboardingView, PartnerView


async def partners_by_id(actor: Actor, ids: list[uuid.UUID]) -> list[PartnerView | None]:
    found = await profiles.partners_by_ids(actor, ids)
    return [found.get(partner_id) for partner_id in ids]


async def current_stage_of(actor: Actor, ids: list[uuid.UUID]) -> list[str | None]:
    """One query for a page of partners (the list's stage badges)."""
    stages = await progress.current_stages(actor, ids)
    return [stages.get(partner_id) for partner_id in ids]


async def onboarding_of(actor: Actor, ids: list[uuid.UUID]) -> list[OnboardingView]:
    """The onboarding service reads one partner's whole state at a time (a few queries each), so
    this batch only de-duplicates: the field is meant for ``partner(id)``."""
    return [await onboarding.onboarding(actor, partner_id) for partner_id in ids]
