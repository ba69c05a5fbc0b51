"""Per-provider rate limits, shared by every worker: a token bucket in Redis (``core.rate_limits``,
one key per provider row), so a large run is paced at the provider's rate instead of being throttled by it.

``reserve`` takes a slot if one is free now and answers 0, or answers how many seconds until one
is (taking nothing): the sender then puts the delivery back, due at that time, without counting an
attempt. Without Redis (no doorbell) nothing is paced: the database stays the source of truth and a
lost limit only means a provider's 429, which is retried like any transient failure."""

from __future__ import annotations

import uuid

from backend.core import outbox, rate_limits


def key(provider_id: uuid.UUID) -> str:
    return f"mirabelle:deliveries:rate:{provider_id}"


async def reserve(provider_id: uuid.UUID, per_second: float, burst: int = 1) -> float:
    """Seconds to wait before this provider may send again (0: go now, the slot is taken)."""
    return await rate_limits.take(outbox.doorbell(), key(provider_id), per_second, burst)
