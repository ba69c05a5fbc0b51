"""Batch loads of the deliveries domain, for per-request DataLoaders (``ApiContext.loader``): a
page of rewards reads its deliveries in one query, and those deliveries their attempts in one more."""

from __future__ import annotations

import uuid

from backend.core.authz import Actor
from backend.deliveries.services import listing, timeline
from backend.deliveries.views import AttemptView, DeliveryView


async def deliveries_by_reward(actor: Actor, issuance_ids: list[uuid.UUID]) -> list[DeliveryView | None]:
    found = await listing.deliveries_of_rewards(actor, issuance_ids)
    return [found.get(issuance_id) for issuance_id in issuance_ids]


async def deliveries_by_id(actor: Actor, ids: list[uuid.UUID]) -> list[DeliveryView | None]:
    found = await listing.deliveries_by_ids(actor, ids)
    return [found.get(delivery_id) for delivery_id in ids]


async def attempts_by_delivery(actor: Actor, delivery_ids: list[uuid.UUID]) -> list[list[AttemptView]]:
    found = await timeline.attempts_of_deliveries(actor, delivery_ids)
    return [found.get(delivery_id, []) for delivery_id in delivery_ids]
