"""Per-provider rate limits, shared by every worker: a GCRA token bucket in Redis (one key per
provider row), so a large run is paced at the provider's rate instead of being throttled by it.

``reserve`` takes a slot if one is free now and answers 0, or answers how many seconds until one
is (taking nothing): the sender then puts the delivery back, due at that time, without counting an
attempt. Without Redis (no doorbell) nothing is paced: the database stays the source of truth and a
lost limit only means a provider's 429, which is retried like any transient failure."""

from __future__ import annotations

import uuid

import structlog

from backend.core import outbox

log = structlog.get_logger(__name__)

# KEYS[1]: the provider's key. ARGV: emission interval (ms), burst. Returns the wait in ms (0: taken).
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now) + 1000)
return 0
"""


def key(provider_id: uuid.UUID) -> str:
    return f"mirabelle:deliveries:rate:{provider_id}"


async def reserve(provider_id: uuid.UUID, per_second: float, burst: int = 1) -> float:
    """Seconds to wait before this provider may send again (0: go now, the slot is taken)."""
    redis = outbox.doorbell()
    if redis is None:
        return 0.0
    interval_ms = max(1, round(1000 / per_second))
    try:
        wait_ms = await redis.register_script(_GCRA)(keys=[key(provider_id)], args=[interval_ms, max(1, burst)])
    except Exception as error:  # Redis down: send unpaced rather than not at all
        log.warning("deliveries.pacing_unavailable", error=str(error))
        return 0.0
    return int(wait_ms) / 1000
