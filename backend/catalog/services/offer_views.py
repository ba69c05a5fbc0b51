"""Offers shown to a recipient through the catalogue API (``offers`` with ``eligibleFor`` and a
programme, ``offer`` with ``viewedBy``): one outbox event per page shown, which partner
performance counts as a view of each offer on it (``catalog.offers_viewed``)."""

from __future__ import annotations

import uuid

from backend.core import outbox
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.recipients import services as recipients

OFFERS_VIEWED = "catalog.offers_viewed"  # outbox topic


async def record_offers_viewed(recipient_id: uuid.UUID, programme_id: uuid.UUID, offer_ids: list[uuid.UUID]) -> uuid.UUID | None:
    """Announce that the recipient was shown these offers in the programme; the event's id, or None
    when no offer was shown. An unknown programme is NOT_FOUND and records nothing."""
    if not offer_ids:
        return None
    await recipients.get_programme(SYSTEM, programme_id)
    payload = {
        "recipient_id": str(recipient_id),
        "programme_id": str(programme_id),
        "offer_ids": [str(offer_id) for offer_id in offer_ids],
        "at": utcnow().isoformat(),
    }
    async with write_transaction():
        event_id = await outbox.add(OFFERS_VIEWED, payload)
    await outbox.ring([event_id])
    return event_id
