"""The check behind "replace a partner": nothing that still runs points at a retired offer — no
campaign that is not ended lists one, no retired offer holds a ranking position (ranked ahead of
an offer that is not retired), no segment route names one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.campaigns.services import offer_replacement
from backend.catalog.services import offers, retirement, routing
from backend.catalog.views import RETIRED
from backend.core.authz import SYSTEM


@dataclass(frozen=True)
class RetiredOfferReferences:
    campaigns: tuple[tuple[uuid.UUID, uuid.UUID], ...]  # (campaign, retired offer it lists)
    ranked_ahead: tuple[uuid.UUID, ...]  # retired offers holding a ranking position
    routes: tuple[tuple[uuid.UUID, str], ...]  # (retired offer, segment rule routed to it)

    @property
    def clear(self) -> bool:
        return not (self.campaigns or self.ranked_ahead or self.routes)

    def describe(self) -> str:
        parts = []
        if self.campaigns:
            parts.append(f"{len(self.campaigns)} campaign offer(s)")
        if self.ranked_ahead:
            parts.append(f"{len(self.ranked_ahead)} ranking position(s)")
        if self.routes:
            parts.append(f"{len(self.routes)} segment route(s)")
        return ", ".join(parts) or "nothing"


async def retired_offer_references() -> RetiredOfferReferences:
    """Everything that still points at a retired offer (read in the caller's transaction, if any)."""
    campaigns = await offer_replacement.running_campaigns_offering(None)
    listed = {offer_id for campaign in campaigns for offer_id in campaign.offer_ids}
    found = await offers.offers_by_ids(SYSTEM, list(listed)) if listed else {}
    retired = {offer_id for offer_id, offer in found.items() if offer.status == RETIRED}
    return RetiredOfferReferences(
        campaigns=tuple(
            (campaign.campaign_id, offer_id) for campaign in campaigns for offer_id in campaign.offer_ids if offer_id in retired
        ),
        ranked_ahead=tuple(await retirement.retired_offers_ranked_ahead()),
        routes=tuple((route.offer_id, route.segment_rule) for route in await routing.routes_on_retired_offers()),
    )
