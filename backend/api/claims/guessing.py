"""Claim links against guessing: each client IP's failed lookups (an unknown token, a forged form)
drain a token bucket in Redis shared by every api process; an empty bucket answers 429 with
Retry-After to every claim request from that IP until it refills. A token has 256 bits, so this
is about load and noise more than odds; without Redis nothing is limited (``core.rate_limits``).

The client is the connection's peer: behind a proxy, run the api with uvicorn's ``--proxy-headers``
and ``--forwarded-allow-ips`` so that the peer is the visitor, not the proxy."""

from __future__ import annotations

import math

from litestar import Request

from backend.core import outbox, rate_limits
from backend.core.settings import get_settings


def _key(request: Request) -> str:
    client = request.client.host if request.client else "unknown"
    return f"mirabelle:claims:failed_lookups:{client}"


def _rate() -> tuple[float, int]:
    settings = get_settings()
    return settings.claim_failed_lookups_per_minute / 60, settings.claim_failed_lookups_burst


async def blocked_for(request: Request) -> int:
    """Whole seconds this client must wait before its next claim request (0: go ahead)."""
    per_second, burst = _rate()
    return math.ceil(await rate_limits.wait(outbox.doorbell(), _key(request), per_second, burst))


async def count_failure(request: Request) -> int:
    """Count a failed lookup; answers the wait (in whole seconds) when the bucket was empty already."""
    per_second, burst = _rate()
    return math.ceil(await rate_limits.take(outbox.doorbell(), _key(request), per_second, burst))
