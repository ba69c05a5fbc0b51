"""Batch loads of the catalogue, for per-request DataLoaders (``ApiContext.loader``): a page of
offers reads its terms and its stock in one query each."""

from __future__ import annotations

import uuid

from backend.catalog.services import stock, terms
from backend.catalog.views import StockLevel, TermsVersionView
from backend.core.authz import Actor


async def terms_versions_by_id(actor: Actor, ids: list[uuid.UUID]) -> list[TermsVersionView | None]:
    found = await terms.terms_versions_by_ids(actor, ids)
    return [found.get(version_id) for version_id in ids]


async def stock_levels_by_offer(actor: Actor, offer_ids: list[uuid.UUID]) -> list[list[StockLevel]]:
    levels = await stock.stock_levels_by_offer(actor, offer_ids)
    return [levels.get(offer_id, []) for offer_id in offer_ids]
