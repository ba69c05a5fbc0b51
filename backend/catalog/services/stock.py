"""Stock levels per offer and denomination, the codes (masked), and the low-stock alerts."""

from __future__ import annotations

import uuid

from backend.catalog.services.allocation import code_view
from backend.catalog.services.offer_rows import load_offer
from backend.catalog.tables import VoucherCode
from backend.catalog.views import ALLOCATED, AVAILABLE, CONFIRMED, VOIDED, LowStockOffer, Page, StockLevel
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError

CODE_STATUSES = (AVAILABLE, ALLOCATED, CONFIRMED, VOIDED)  # voided: replaced for a reward, never opened again

_LEVELS = """
SELECT denomination,
       SUM(CASE WHEN status = 'available' AND (expires_on IS NULL OR expires_on > {}) THEN 1 ELSE 0 END) AS available,
       SUM(CASE WHEN status = 'allocated' THEN 1 ELSE 0 END) AS allocated,
       SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
       SUM(CASE WHEN status = 'available' AND expires_on <= {} THEN 1 ELSE 0 END) AS expired
FROM voucher_codes WHERE offer = {} GROUP BY denomination ORDER BY denomination
"""

# Live offers with a threshold, and their usable stock counted through the available-stock index.
_LOW_STOCK = """
SELECT * FROM (
    SELECT o.id, o.title, o.partner, o.low_stock_threshold AS threshold,
           (SELECT COUNT(*) FROM voucher_codes v
             WHERE v.offer = o.id AND v.status = 'available' AND (v.expires_on IS NULL OR v.expires_on > {})) AS available
    FROM offers o WHERE o.status = 'live' AND o.low_stock_threshold > 0
) AS stocked WHERE available <= threshold ORDER BY available, title
"""


def _id(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def stock_levels(actor: Actor, offer_id: uuid.UUID) -> list[StockLevel]:
    """Per denomination: codes available (usable), allocated, confirmed, and expired unused."""
    actor.require(Permission.CATALOG_READ)
    await load_offer(offer_id)
    today = utcnow().date()
    rows = await VoucherCode.raw(_LEVELS, today, today, offer_id)
    return [
        StockLevel(
            denomination=int(row["denomination"]),
            available=int(row["available"]),
            allocated=int(row["allocated"]),
            confirmed=int(row["confirmed"]),
            expired=int(row["expired"]),
        )
        for row in rows
    ]


async def low_stock_offers(actor: Actor) -> list[LowStockOffer]:
    """Live offers whose usable stock is at or below their threshold (0 = no alert), emptiest first:
    the console's alert list."""
    actor.require(Permission.CATALOG_READ)
    rows = await VoucherCode.raw(_LOW_STOCK, utcnow().date())
    return [
        LowStockOffer(
            offer_id=_id(row["id"]),
            title=row["title"],
            partner_id=_id(row["partner"]),
            available=int(row["available"]),
            threshold=int(row["threshold"]),
        )
        for row in rows
    ]


async def list_voucher_codes(
    actor: Actor, offer_id: uuid.UUID, status: str | None = None, offset: int = 0, limit: int = 50
) -> Page:
    """The offer's codes, masked, newest first."""
    actor.require(Permission.CATALOG_READ)
    if status is not None and status not in CODE_STATUSES:
        raise DomainError.single("INVALID_STATUS", f"expected one of {', '.join(CODE_STATUSES)}", field="status")
    query, count = (
        VoucherCode.select().where(VoucherCode.offer == offer_id),
        VoucherCode.count().where(VoucherCode.offer == offer_id),
    )
    if status is not None:
        query, count = query.where(VoucherCode.status == status), count.where(VoucherCode.status == status)
    rows = await query.order_by(VoucherCode.id, ascending=False).offset(max(offset, 0)).limit(max(1, min(limit, 200)))
    return Page(rows=[code_view(row) for row in rows], total=await count)


_LEVELS_OF_OFFERS = """
SELECT offer, denomination,
       SUM(CASE WHEN status = 'available' AND (expires_on IS NULL OR expires_on > {}) THEN 1 ELSE 0 END) AS available,
       SUM(CASE WHEN status = 'allocated' THEN 1 ELSE 0 END) AS allocated,
       SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
       SUM(CASE WHEN status = 'available' AND expires_on <= {} THEN 1 ELSE 0 END) AS expired
FROM voucher_codes WHERE offer IN ({offers}) GROUP BY offer, denomination ORDER BY offer, denomination
"""


async def stock_levels_by_offer(actor: Actor, offer_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StockLevel]]:
    """``stock_levels`` of many offers in one query (GraphQL DataLoaders); an offer without codes maps to []."""
    actor.require(Permission.CATALOG_READ)
    levels: dict[uuid.UUID, list[StockLevel]] = {offer_id: [] for offer_id in offer_ids}
    if not offer_ids:
        return levels
    today = utcnow().date()
    sql = _LEVELS_OF_OFFERS.replace("{offers}", ", ".join("{}" for _ in offer_ids))
    for row in await VoucherCode.raw(sql, today, today, *offer_ids):
        levels.setdefault(_id(row["offer"]), []).append(
            StockLevel(
                denomination=int(row["denomination"]),
                available=int(row["available"]),
                allocated=int(row["allocated"]),
                confirmed=int(row["confirmed"]),
                expired=int(row["expired"]),
            )
        )
    return levels
