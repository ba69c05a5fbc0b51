"""The worker's sender: due deliveries claimed in batches, sent concurrently, recorded together.

One batch is one claim statement (``claiming.claim_due``), the sends concurrently through the shared
HTTP client (at most ``per_provider`` at a time to any one provider; its rate limit and the
recipient's quiet hours are applied per send, as for one), and one transaction recording every
outcome. A send that raises (the database away while rendering) leaves its claim to expire, as a
killed worker does: the cron then takes it over and records the attempt as abandoned.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

import structlog

from backend.deliveries.policy import SendingPolicy
from backend.deliveries.services.claiming import Claim, claim_due
from backend.deliveries.services.recording import Attempted, PutBack, SendOutcome, record
from backend.deliveries.services.sending import Lookups, attempt

log = structlog.get_logger(__name__)

BATCH = 100  # deliveries claimed at once: a round trip and a commit shared by this many
# Sends in flight to one provider from one batch. More buys nothing on a fast provider and costs a
# lot: httpcore's pool scans every connection for every request (profiled at 32: its scan, and the
# getpeername/poll calls it makes per connection, took more CPU than the sends themselves).
PER_PROVIDER = 8


async def send_due(policy: SendingPolicy, batch: int = BATCH, per_provider: int = PER_PROVIDER) -> list[SendOutcome]:
    """Claim up to ``batch`` due deliveries, send them and record what happened; [] when none was due."""
    claims = await claim_due(batch, policy)
    if not claims:
        return []
    lookups = Lookups()
    await lookups.prefetch(claims)
    gates: dict[tuple, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_provider))

    async def one(claim: Claim) -> Attempted | PutBack:
        async with gates[(claim.programme_id, claim.channel, claim.role)]:
            return await attempt(claim, policy, lookups)

    results = await asyncio.gather(*(one(claim) for claim in claims), return_exceptions=True)
    done: list[Attempted | PutBack] = []
    for claim, result in zip(claims, results, strict=True):
        if isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError):
                raise result
            log.warning("deliveries.send_raised", delivery_id=str(claim.delivery_id), error=f"{type(result).__name__}: {result}")
            continue
        done.append(result)
    return await record(done, policy) if done else []
