"""The corrective actions that change what the catalogue shows, each through the catalogue's own
use case and recorded as an action: re-rank offers (``ranking.rerank_offers``), refresh a listing
(``listing_refresh``: a new creative or terms version) and segment routing (``routing.set_route``:
surface an offer to a segment, or push it down)."""

from __future__ import annotations

import uuid

from backend.catalog.services import listing_refresh, offers, ranking, routing
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.text import check_text
from backend.insights.actions.services import records
from backend.insights.actions.views import REFRESH_LISTING, RERANK, SEGMENT_ROUTING, ActionView


async def rerank(
    actor: Actor,
    offer_ids: list[uuid.UUID],
    *,
    partner_id: uuid.UUID | None = None,
    review_id: uuid.UUID | str | None = None,
    note: str = "",
) -> ActionView:
    """Put these offers in this order in the places they hold now (the catalogue's re-rank)."""
    actor.require(Permission.CATALOG_WRITE)
    note, review = records.note_of(note), records.review_id_of(review_id)
    async with write_transaction():
        before = await offers.offers_by_ids(SYSTEM, list(offer_ids))
        after = await ranking.rerank_offers(actor, list(offer_ids))
        return await records.record(
            actor,
            RERANK,
            summary=f"Re-ranked {len(after)} offer(s): {', '.join(offer.title for offer in after[:5])}",
            request={"offer_ids": [str(offer_id) for offer_id in offer_ids], "note": note},
            before={"ranks": {str(offer_id): offer.rank for offer_id, offer in before.items()}},
            after={"ranks": {str(offer.id): offer.rank for offer in after}},
            partner_id=partner_id,
            review_id=review,
        )


async def refresh(
    actor: Actor,
    offer_id: uuid.UUID,
    *,
    title: str | None = None,
    description: str | None = None,
    image_url: str | None = None,
    terms: str | None = None,
    review_id: uuid.UUID | str | None = None,
    note: str = "",
) -> ActionView:
    """A new creative and/or a new terms version for one offer."""
    actor.require(Permission.CATALOG_WRITE)
    note, review = records.note_of(note), records.review_id_of(review_id)
    async with write_transaction():
        done = await listing_refresh.refresh_listing(
            actor, offer_id, title=title, description=description, image_url=image_url, terms_body=terms
        )

        def creative(offer) -> dict:
            return {"title": offer.title, "description": offer.description, "image_url": offer.image_url}

        changed = [name for name, value in creative(done.offer).items() if creative(done.before)[name] != value]
        if done.terms is not None and done.terms.id != done.before.current_terms_version_id:
            changed.append("terms")
        return await records.record(
            actor,
            REFRESH_LISTING,
            summary=f"Refreshed '{done.offer.title}': {', '.join(changed) or 'no change'}",
            request={"offer_id": str(offer_id), "note": note},
            before={**creative(done.before), "terms_version_id": done.before.current_terms_version_id},
            after={**creative(done.offer), "terms_version_id": done.offer.current_terms_version_id},
            partner_id=done.offer.partner_id,
            review_id=review,
        )


async def set_segment_routing(
    actor: Actor,
    offer_ids: list[uuid.UUID],
    segment_rule: str,
    adjustment: int,
    *,
    partner_id: uuid.UUID | None = None,
    review_id: uuid.UUID | str | None = None,
    note: str = "",
) -> ActionView:
    """The same route (segment, adjustment) on each offer: > 0 surfaces them to the segment, < 0
    pushes them down, 0 removes the route."""
    actor.require(Permission.CATALOG_WRITE)
    note, review = records.note_of(note), records.review_id_of(review_id)
    if not offer_ids:
        raise DomainError.single("REQUIRED", "choose the offers to route", field="offer_ids")
    check_text("segment_rule", segment_rule, multiline=True)
    rule = routing.canonical_segment(segment_rule)
    async with write_transaction():
        routes = await routing.routes(actor, list(offer_ids))
        before = {route.offer_id: route.adjustment for route in routes if route.segment_rule == rule}
        result = [await routing.set_route(actor, offer_id, segment_rule, adjustment, note) for offer_id in offer_ids]
        direction = "surfaced to" if adjustment > 0 else "pushed down for" if adjustment < 0 else "no longer routed for"
        return await records.record(
            actor,
            SEGMENT_ROUTING,
            summary=f"{len(offer_ids)} offer(s) {direction} {rule} ({adjustment:+d})",
            request={
                "offer_ids": [str(offer_id) for offer_id in offer_ids],
                "segment_rule": rule,
                "adjustment": adjustment,
                "note": note,
            },
            before={"adjustments": {str(offer_id): before.get(offer_id, 0) for offer_id in offer_ids}},
            after={
                "adjustments": {str(offer_id): (route.adjustment if route else 0) for offer_id, route in zip(offer_ids, result)}
            },
            partner_id=partner_id,
            review_id=review,
        )
