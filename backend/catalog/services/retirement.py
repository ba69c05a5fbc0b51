"""Retiring offers in favour of replacements: the catalogue's side of replacing a partner.

In the caller's transaction, each old offer hands its place to its replacement: the replacement
takes the old offer's rank (the best one, when several old offers map to it), the old offer's
segment routes move to the replacement (``routing.hand_over_routes``), and the old offer is
retired — moved behind every offer that is not retired, so it holds no ranking position, and never
offered again (issuance refuses any offer that is not live; the catalogue lists only live ones).

:func:`retired_offers_ranked_ahead` is the check that the ranking holds no retired offer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.catalog.services import routing
from backend.catalog.services.offer_rows import load_offers
from backend.catalog.views import RETIRED, OfferView
from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError, FieldError


@dataclass(frozen=True)
class HandOver:
    retired: tuple[uuid.UUID, ...]
    ranks: dict[uuid.UUID, tuple[int, int]]  # replacement id → (rank before, rank after)
    routes_moved: int


def check_replacements(
    replacements: dict[uuid.UUID, uuid.UUID],
    offers: dict[uuid.UUID, OfferView],
    old_partner_id: uuid.UUID,
    new_partner_id: uuid.UUID,
) -> None:
    """Every problem at once: each old offer is the old partner's and not retired; each replacement
    is a live offer of the (live) new partner in the same currency."""
    errors: list[FieldError] = []
    for old_id, new_id in replacements.items():
        old, new = offers.get(old_id), offers.get(new_id)
        if old is None:
            errors.append(FieldError("offer_map", "OFFER_NOT_FOUND", f"offer {old_id} does not exist"))
        elif old.partner_id != old_partner_id:
            errors.append(
                FieldError("offer_map", "NOT_THE_PARTNERS_OFFER", f"'{old.title}' is not an offer of the partner replaced")
            )
        elif old.status == RETIRED:
            errors.append(FieldError("offer_map", "OFFER_RETIRED", f"'{old.title}' is already retired"))
        if new is None:
            errors.append(FieldError("offer_map", "OFFER_NOT_FOUND", f"offer {new_id} does not exist"))
            continue
        if new.partner_id != new_partner_id:
            errors.append(
                FieldError("offer_map", "NOT_THE_PARTNERS_OFFER", f"'{new.title}' is not an offer of the replacement partner")
            )
        elif not new.is_available:
            errors.append(
                FieldError(
                    "offer_map",
                    "REPLACEMENT_NOT_LIVE",
                    f"'{new.title}' is {new.status} (partner {new.partner_status}): a replacement offer must be live",
                )
            )
        if old is not None and old.currency != new.currency:
            errors.append(
                FieldError(
                    "offer_map",
                    "CURRENCY_MISMATCH",
                    f"'{old.title}' is in {old.currency}, its replacement '{new.title}' in {new.currency}",
                )
            )
    if errors:
        raise DomainError(errors)


async def hand_over_offers(actor: Actor, replacements: dict[uuid.UUID, uuid.UUID], reason: str) -> HandOver:
    """In the caller's (write) transaction: replacements take the old offers' ranks and routes; the
    old offers are retired and moved behind every offer that is not retired. Audited per offer."""
    actor.require(Permission.CATALOG_WRITE)
    offers = await load_offers([*replacements, *replacements.values()])
    best: dict[uuid.UUID, int] = {}
    for old_id, new_id in replacements.items():
        best[new_id] = min(best.get(new_id, offers[new_id].rank), offers[old_id].rank)
    now = utcnow()
    ranks: dict[uuid.UUID, tuple[int, int]] = {}
    for new_id, rank in best.items():
        if rank != offers[new_id].rank:
            await sql.fetch("UPDATE offers SET rank = $2, updated_at = $3 WHERE id = $1", new_id, rank, now)
            await audit.record(
                actor, "offer.rank_taken_over", "offer", new_id, before={"rank": offers[new_id].rank}, after={"rank": rank}
            )
        ranks[new_id] = (offers[new_id].rank, rank)
    moved = await routing.hand_over_routes(actor, replacements)
    last = await sql.fetchrow("SELECT COALESCE(MAX(rank), 0) AS rank FROM offers WHERE status <> $1", RETIRED)
    retired = []
    for position, old_id in enumerate(sorted(replacements, key=lambda offer_id: offers[offer_id].rank), start=1):
        done = await sql.fetch(
            "UPDATE offers SET status = $2, rank = $3, updated_at = $4 WHERE id = $1 AND status <> $2 RETURNING id",
            old_id,
            RETIRED,
            last["rank"] + position,
            now,
        )
        if not done:
            raise DomainError.single("OFFER_RETIRED", f"'{offers[old_id].title}' was retired meanwhile", field="offer_map")
        retired.append(old_id)
        await audit.record(
            actor,
            "offer.retired",
            "offer",
            old_id,
            before={"status": offers[old_id].status, "rank": offers[old_id].rank},
            after={"status": RETIRED, "replaced_by": str(replacements[old_id]), "reason": reason},
        )
    return HandOver(retired=tuple(retired), ranks=ranks, routes_moved=moved)


async def retired_offers_ranked_ahead() -> list[uuid.UUID]:
    """Retired offers that still hold a ranking position: ranked ahead of some offer that is not retired."""
    rows = await sql.fetch(
        """SELECT id FROM offers WHERE status = $1 AND rank < (SELECT COALESCE(MAX(rank), 0) FROM offers WHERE status <> $1)
        ORDER BY id""",
        RETIRED,
    )
    return [row["id"] for row in rows]
