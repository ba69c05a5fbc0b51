"""Batch loads of the rewards domain, for per-request DataLoaders (``ApiContext.loader``)."""

from __future__ import annotations

import uuid

from backend.core.authz import SYSTEM, Actor
from backend.rewards.services import issuances
from backend.rewards.views import IssuanceView


async def issuances_by_id(actor: Actor, ids: list[uuid.UUID]) -> list[IssuanceView | None]:
    # Read on the caller's behalf: a payload shows the issuance its own call made, and a query
    # field that lists issuances checks rewards:read itself.
    found = await issuances.issuances_by_ids(SYSTEM, ids)
    return [found.get(issuance_id) for issuance_id in ids]
