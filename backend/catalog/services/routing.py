"""Segment routing: per-segment ranking adjustments of the catalogue.

A route says "recipients in this segment see this offer higher (adjustment > 0) or lower (< 0)".
The segment is an eligibility rule (the catalogue's rule language: ``business_unit == "Retail"``,
``country in [IN]``); an offer's adjustments for a recipient are summed over the routes whose rule
admits them. A recipient's catalogue (``eligibility.eligible_offers``, the API's ``offers`` with
``eligibleFor``) is in the order (adjustment summed, highest first; then rank; then id), and each
offer's ``rank`` there is its position in that routed order, so keyset pages follow it.

Routes of an offer that is retired are moved to its replacement or removed
(:func:`hand_over_routes`): no route ever points at a retired offer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from backend.catalog import eligibility
from backend.catalog.services.offer_rows import load_offer
from backend.catalog.tables import SegmentRoute
from backend.catalog.views import RETIRED, OfferView, as_utc
from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.recipients.services import RecipientView

MAX_ADJUSTMENT = 100


@dataclass(frozen=True)
class SegmentRouteView:
    id: uuid.UUID
    offer_id: uuid.UUID
    segment_rule: str
    adjustment: int
    note: str
    updated_by_label: str
    updated_at: datetime


def _view(row) -> SegmentRouteView:
    return SegmentRouteView(
        id=row["id"],
        offer_id=row["offer"],
        segment_rule=row["segment_rule"],
        adjustment=row["adjustment"],
        note=row["note"],
        updated_by_label=row["updated_by_label"],
        updated_at=as_utc(row["updated_at"]),
    )


def canonical_segment(segment_rule: str) -> str:
    """The segment's rule as stored (canonical text); RuleError for a bad one."""
    return eligibility.canonical(segment_rule)


def _checked(segment_rule: str, adjustment: int) -> str:
    check_text("segment_rule", segment_rule, multiline=True)
    rule = eligibility.canonical(segment_rule)
    errors = []
    if not rule:
        errors.append(DomainError.single("REQUIRED", 'name the segment, e.g. business_unit == "Retail"', field="segment_rule"))
    if isinstance(adjustment, bool) or not isinstance(adjustment, int) or abs(adjustment) > MAX_ADJUSTMENT:
        errors.append(
            DomainError.single(
                "INVALID_ADJUSTMENT",
                f"the adjustment is a whole number from -{MAX_ADJUSTMENT} (lower) to {MAX_ADJUSTMENT} (higher); 0 removes it",
                field="adjustment",
            )
        )
    if errors:
        raise DomainError([item for error in errors for item in error.errors])
    return rule


async def set_route(
    actor: Actor, offer_id: uuid.UUID, segment_rule: str, adjustment: int, note: str = ""
) -> SegmentRouteView | None:
    """Create, change or (adjustment 0) remove the offer's route for a segment. Requires
    catalog:write; audited. A retired offer takes no route (OFFER_RETIRED). Returns the route, or
    None when it was removed."""
    actor.require(Permission.CATALOG_WRITE)
    check_text("note", note, multiline=True)
    rule = _checked(segment_rule, adjustment)
    now = utcnow()
    async with write_transaction():
        offer = await load_offer(offer_id)
        if offer.status == RETIRED and adjustment:
            raise DomainError.single("OFFER_RETIRED", f"'{offer.title}' is retired; it takes no routing", field="offer_id")
        before = await sql.fetchrow("SELECT * FROM offer_segment_routes WHERE offer = $1 AND segment_rule = $2", offer_id, rule)
        if adjustment == 0:
            if before is not None:
                await sql.fetch(
                    "DELETE FROM offer_segment_routes WHERE id = $1",
                    before["id"],
                )
        elif before is None:
            await sql.fetch(
                """INSERT INTO offer_segment_routes (id, offer, segment_rule, adjustment, note, updated_by_label, created_at,
                    updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)""",
                new_id(),
                offer_id,
                rule,
                adjustment,
                (note or "").strip()[:2000],
                actor.label[:255],
                now,
            )
        else:
            await sql.fetch(
                "UPDATE offer_segment_routes SET adjustment = $2, note = $3, updated_by_label = $4, updated_at = $5 WHERE id = $1",
                before["id"],
                adjustment,
                (note or "").strip()[:2000],
                actor.label[:255],
                now,
            )
        after = await sql.fetchrow("SELECT * FROM offer_segment_routes WHERE offer = $1 AND segment_rule = $2", offer_id, rule)
        await audit.record(
            actor,
            "offer.routing_set",
            "offer",
            offer_id,
            before={"segment_rule": rule, "adjustment": before["adjustment"] if before else 0},
            after={"segment_rule": rule, "adjustment": adjustment, "note": note},
        )
    return _view(after) if after is not None else None


async def routes(actor: Actor, offer_ids: list[uuid.UUID] | None = None) -> list[SegmentRouteView]:
    """Every route (of these offers), by offer then segment."""
    actor.require(Permission.CATALOG_READ)
    query = SegmentRoute.select().order_by(SegmentRoute.offer).order_by(SegmentRoute.segment_rule)
    if offer_ids is not None:
        if not offer_ids:
            return []
        query = query.where(SegmentRoute.offer.is_in(list(offer_ids)))
    return [_view(row) for row in await query]


async def routed(offers: list[OfferView], recipient: RecipientView) -> list[OfferView]:
    """The recipient's catalogue: ``offers`` (in rank order) reordered by the routes whose segment
    admits the recipient, each with its position in that order as its ``rank``."""
    if not offers:
        return []
    ids = [offer.id for offer in offers]
    rows = await SegmentRoute.select(SegmentRoute.offer, SegmentRoute.segment_rule, SegmentRoute.adjustment).where(
        SegmentRoute.offer.is_in(ids)
    )
    attributes = eligibility.recipient_attributes(
        recipient.hr_attributes,
        country=recipient.country,
        preferred_channel=recipient.preferred_channel,
        source_system=recipient.source_system,
    )
    boost: dict[uuid.UUID, int] = {}
    for row in rows:
        if eligibility.evaluate(_parsed(row["segment_rule"]), attributes):
            boost[row["offer"]] = boost.get(row["offer"], 0) + row["adjustment"]
    ordered = sorted(offers, key=lambda offer: (-boost.get(offer.id, 0), offer.rank, offer.id))
    return [replace(offer, rank=position) for position, offer in enumerate(ordered, start=1)]


@lru_cache(maxsize=1024)  # a pure function of the stored rule's text
def _parsed(text: str) -> eligibility.Rule | None:
    return eligibility.parse(text)


async def hand_over_routes(actor: Actor, replacements: dict[uuid.UUID, uuid.UUID]) -> int:
    """In the caller's transaction: each old offer's routes move to its replacement (a segment the
    replacement already routes keeps the replacement's own adjustment); returns how many moved."""
    moved = 0
    for old_id, new_id_ in replacements.items():
        rows = await sql.fetch("SELECT * FROM offer_segment_routes WHERE offer = $1", old_id)
        for row in rows:
            taken = await sql.fetchrow(
                "SELECT id FROM offer_segment_routes WHERE offer = $1 AND segment_rule = $2", new_id_, row["segment_rule"]
            )
            if taken is None:
                await sql.fetch(
                    "UPDATE offer_segment_routes SET offer = $2, updated_at = $3 WHERE id = $1", row["id"], new_id_, utcnow()
                )
                moved += 1
            else:
                await sql.fetch(
                    "DELETE FROM offer_segment_routes WHERE id = $1",
                    row["id"],
                )
            await audit.record(
                actor,
                "offer.routing_moved",
                "offer",
                old_id,
                before={"segment_rule": row["segment_rule"], "adjustment": row["adjustment"]},
                after={"offer_id": str(new_id_), "kept": taken is None},
            )
    return moved


async def routes_on_retired_offers() -> list[SegmentRouteView]:
    """Routes that point at a retired offer: none, when every retirement handed its routes over."""
    rows = await sql.fetch(
        "SELECT r.* FROM offer_segment_routes r JOIN offers o ON o.id = r.offer WHERE o.status = $1 ORDER BY r.id", RETIRED
    )
    return [_view(row) for row in rows]
