"""Rate limits shared by every process: a GCRA token bucket in Redis, one key per thing limited
(a provider's sends, a client's failed claim-link lookups).

``take`` takes a slot if one is free now and answers 0, or answers how many seconds until one is
(taking nothing); ``wait`` answers the same without taking. Redis keeps one number per key, which
expires once the bucket is full again. Without Redis, or when it fails, nothing is limited: the
callers' limits protect a provider or slow a guesser, and the database stays the source of truth."""

from __future__ import annotations

import structlog

log = structlog.get_logger(__name__)

# KEYS[1]: the bucket. ARGV: emission interval (ms), burst, 1 to take a slot (0: only look).
# Returns the wait in ms (0: a slot is free, and was taken when asked to).
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval, burst, take = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then return allow_at - now end
if take == 1 then redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now) + 1000) end
return 0
"""


async def _run(redis, key: str, per_second: float, burst: int, take: bool) -> float:
    if redis is None:
        return 0.0
    interval_ms = max(1, round(1000 / per_second))
    try:
        wait_ms = await redis.register_script(_GCRA)(keys=[key], args=[interval_ms, max(1, burst), int(take)])
    except Exception as error:  # Redis down: unlimited rather than unavailable
        log.warning("rate_limits.unavailable", key=key.rsplit(":", 1)[0], error=str(error))
        return 0.0
    return int(wait_ms) / 1000


async def take(redis, key: str, per_second: float, burst: int = 1) -> float:
    """Seconds to wait before a slot is free (0: one was, and is now taken)."""
    return await _run(redis, key, per_second, burst, take=True)


async def wait(redis, key: str, per_second: float, burst: int = 1) -> float:
    """Seconds until a slot is free (0: one is now); takes nothing."""
    return await _run(redis, key, per_second, burst, take=False)
