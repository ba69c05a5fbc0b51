"""Events shaped like the ledger's, fanned out as the outbox handler does, and a quick policy."""

from __future__ import annotations

import uuid

from backend.core.backoff import Backoff
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.webhooks.policy import DeliveryPolicy
from backend.webhooks.services import deliveries
from backend.webhooks.topics import BALANCE_CHANGED

# Small numbers so a test of three attempts, a timeout among them, takes about a second.
QUICK = DeliveryPolicy(
    max_attempts=3, backoff=Backoff(base_seconds=0.05, cap_seconds=0.2), timeout_seconds=0.5, lease_margin_seconds=1.0
)
STALL_SECONDS = 1.2  # longer than QUICK's timeout


def balance_changed(available: int = 1200, **changes) -> dict:
    """A payload shaped like the ledger's ledger.balance_changed event."""
    return {
        "programme_id": str(uuid.UUID(int=1)),
        "recipient_id": str(uuid.UUID(int=2)),
        "recipient_external_id": "EMP-042",
        "account_id": str(uuid.UUID(int=3)),
        "available": available,
        "pending": 300,
        "posted": available + 300,
        "transfer_id": str(uuid.uuid4()),
        "kind": "earn",
        "occurred_at": utcnow().isoformat(),
        **changes,
    }


async def fan_out(topic: str = BALANCE_CHANGED, payload: dict | None = None, event_id: uuid.UUID | None = None):
    """What the outbox handler does with one event, in a transaction of its own."""
    async with write_transaction():
        return await deliveries.enqueue_deliveries(topic, [(event_id or uuid.uuid4(), payload or balance_changed())])
