"""The catalogue's order: a drag-and-drop re-rank applied in one transaction."""

from __future__ import annotations

import uuid

from backend.catalog.services.offer_rows import offer_view, offers_query
from backend.catalog.tables import Offer
from backend.catalog.views import OfferView
from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.db import current_engine, write_transaction
from backend.core.errors import DomainError


async def _catalogue_order_locked() -> list[uuid.UUID]:
    """Every offer id in rank order. On PostgreSQL the rows are locked, so two re-ranks run one
    after the other (SQLite's IMMEDIATE transaction already serialises them)."""
    lock = " FOR UPDATE" if current_engine().engine_type == "postgres" else ""
    rows = await Offer.raw(f'SELECT id FROM offers ORDER BY "rank", id{lock}')
    return [row["id"] if isinstance(row["id"], uuid.UUID) else uuid.UUID(str(row["id"])) for row in rows]


async def rerank_offers(actor: Actor, offer_ids: list[uuid.UUID]) -> list[OfferView]:
    """Put ``offer_ids`` in this order, in the places they hold now.

    The list may be the whole catalogue or a filtered part of it (the console's drag-and-drop over
    one country, say): the listed offers swap among their current positions and every other offer
    keeps its place. Afterwards ranks are 1..N with no ties. Returns the listed offers, re-ranked."""
    actor.require(Permission.CATALOG_WRITE)
    wanted = list(offer_ids)
    if not wanted:
        raise DomainError.single("REQUIRED", "give the offers in their new order", field="offer_ids")
    if len(set(wanted)) != len(wanted):
        raise DomainError.single("DUPLICATE_OFFER", "each offer appears once in the new order", field="offer_ids")
    async with write_transaction():
        order = await _catalogue_order_locked()
        missing = set(wanted) - set(order)
        if missing:
            raise DomainError.single("NOT_FOUND", f"no such offers: {', '.join(sorted(map(str, missing)))}", field="offer_ids")
        chosen = set(wanted)
        slots = [index for index, offer_id in enumerate(order) if offer_id in chosen]
        new_order = list(order)
        for slot, offer_id in zip(slots, wanted):
            new_order[slot] = offer_id
        before = {row["id"]: row["rank"] for row in await Offer.select(Offer.id, Offer.rank)}
        for rank, offer_id in enumerate(new_order, start=1):
            if before[offer_id] != rank:
                await Offer.update({Offer.rank: rank}).where(Offer.id == offer_id)
        await audit.record(
            actor,
            "catalogue.reranked",
            "catalogue",
            "offers",
            before={"order": [str(order[slot]) for slot in slots]},
            after={"order": [str(i) for i in wanted]},
        )
        rows = await offers_query().where(Offer.id.is_in(wanted))
    by_id = {row["id"]: offer_view(row) for row in rows}
    return [by_id[offer_id] for offer_id in wanted]
