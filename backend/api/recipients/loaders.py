"""Batch loads of the recipients domain, for per-request DataLoaders (``ApiContext.loader``)."""

from __future__ import annotations

import uuid

from backend.core.authz import Actor
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientView


async def recipients_by_id(actor: Actor, ids: list[uuid.UUID]) -> list[RecipientView | None]:
    found = await recipients.recipients_by_ids(actor, ids)
    return [found.get(recipient_id) for recipient_id in ids]
