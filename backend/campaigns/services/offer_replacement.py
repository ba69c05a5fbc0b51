"""Campaigns that still run (draft, active, paused: scheduled or running) swap a retired offer for
its replacement: the campaigns' side of replacing a partner. An ended campaign keeps its history.

:func:`replace_offers` runs in the caller's transaction; it moves each changed campaign's
``updated_at``, which is what issuing checks its cached copy of a campaign against (campaigns.py),
so no reward is counted under the old offer list after the commit."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from backend.campaigns.views import ENDED, OFFERS
from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow


@dataclass(frozen=True)
class CampaignOffers:
    campaign_id: uuid.UUID
    name: str
    status: str
    offer_ids: tuple[uuid.UUID, ...]


def _offer_ids(value) -> tuple[uuid.UUID, ...]:
    values = json.loads(value) if isinstance(value, str) else (value or [])
    return tuple(uuid.UUID(str(item)) for item in values)


async def running_campaigns_offering(offer_ids: set[uuid.UUID] | None = None) -> list[CampaignOffers]:
    """Campaigns not ended whose offer list names any of ``offer_ids`` (None: every one), oldest first.
    The offer lists are JSON: read here and matched in Python (campaigns are few)."""
    rows = await sql.fetch(
        "SELECT id, name, status, allowed_offers FROM campaigns WHERE status <> $1 AND reward_type = $2 ORDER BY id",
        ENDED,
        OFFERS,
    )
    found = [CampaignOffers(row["id"], row["name"], row["status"], _offer_ids(row["allowed_offers"])) for row in rows]
    if offer_ids is None:
        return found
    return [campaign for campaign in found if offer_ids.intersection(campaign.offer_ids)]


async def replace_offers(actor: Actor, replacements: dict[uuid.UUID, uuid.UUID], reason: str) -> list[CampaignOffers]:
    """In the caller's (write) transaction: every campaign not ended lists each replacement in place
    of its old offer (once, where the old one stood). Audited per campaign; returns the campaigns
    as they are now. The rows are locked (PostgreSQL) by the conditional UPDATE on their offer list."""
    # Whoever may retire an offer may take it out of the campaigns: a campaign left listing a retired
    # offer only fails its issuances, so catalog:write is enough beside campaigns:write.
    if not actor.can(Permission.CATALOG_WRITE):
        actor.require(Permission.CAMPAIGNS_WRITE)
    changed = []
    now = utcnow()
    for campaign in await running_campaigns_offering(set(replacements)):
        offer_ids: list[uuid.UUID] = []
        for offer_id in campaign.offer_ids:
            chosen = replacements.get(offer_id, offer_id)
            if chosen not in offer_ids:
                offer_ids.append(chosen)
        before = json.dumps([str(value) for value in campaign.offer_ids])
        after = [str(value) for value in offer_ids]
        updated = await sql.fetch(
            """UPDATE campaigns SET allowed_offers = $2, updated_at = $3 WHERE id = $1 AND status <> $4 RETURNING id""",
            campaign.campaign_id,
            json.dumps(after),
            now,
            ENDED,
        )
        if not updated:
            continue  # ended meanwhile: its history stays as it was
        await audit.record(
            actor,
            "campaign.offers_replaced",
            "campaign",
            campaign.campaign_id,
            before={"allowed_offer_ids": json.loads(before)},
            after={"allowed_offer_ids": after, "reason": reason},
        )
        changed.append(CampaignOffers(campaign.campaign_id, campaign.name, campaign.status, tuple(offer_ids)))
    return changed
