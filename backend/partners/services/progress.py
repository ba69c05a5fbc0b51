"""Where many partners stand in their onboarding, read in one query: the partner list's stage badges."""

from __future__ import annotations

import uuid

from backend.core.authz import Actor, Permission
from backend.partners import checklist
from backend.partners.tables import GoLiveRequest, StageSignOff
from backend.partners.views import PENDING


async def current_stages(actor: Actor, partner_ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """Each partner's first stage not signed off (a key of ``checklist.STAGES``); None once every
    stage is. One query for the whole page of partners, never one per row."""
    actor.require(Permission.CATALOG_READ)
    if not partner_ids:
        return {}
    rows = await StageSignOff.select(StageSignOff.partner, StageSignOff.stage).where(
        StageSignOff.partner.is_in(list(partner_ids))
    )
    signed: dict[uuid.UUID, set[str]] = {partner_id: set() for partner_id in partner_ids}
    for row in rows:
        signed.setdefault(row["partner"], set()).add(row["stage"])
    return {
        partner_id: next((stage.key for stage in checklist.STAGES if stage.key not in signed[partner_id]), None)
        for partner_id in partner_ids
    }


async def go_live_pending(actor: Actor, partner_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these partners have a go-live request waiting for a checker, in one query: the list
    says "Go-live requested" for them, not "Ready for go-live"."""
    actor.require(Permission.CATALOG_READ)
    if not partner_ids:
        return set()
    rows = await GoLiveRequest.select(GoLiveRequest.partner).where(
        GoLiveRequest.partner.is_in(list(partner_ids)), GoLiveRequest.status == PENDING
    )
    return {row["partner"] for row in rows}
