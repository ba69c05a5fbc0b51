"""Loading a partner inside a use case, with the one NOT_FOUND message."""

from __future__ import annotations

import uuid

from backend.core.errors import NotFound
from backend.partners.tables import Partner


async def partner_row(partner_id: uuid.UUID) -> dict:
    row = await Partner.select().where(Partner.id == partner_id).first()
    if row is None:
        raise NotFound("partner", partner_id, field="partner_id")
    return row
