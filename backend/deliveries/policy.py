"""How hard the worker tries to send: attempts per provider, backoff, deadlines and the claim's lease."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from backend.core.backoff import Backoff


@dataclass(frozen=True)
class SendingPolicy:
    # Per provider: 5 tries over about a quarter of an hour (30 s, 1, 2, 4 min ceilings, jittered
    # down to half), then the failover provider gets as many.
    attempts_per_provider: int = 5
    backoff: Backoff = field(default_factory=lambda: Backoff(base_seconds=30, cap_seconds=1800))
    max_retry_after_seconds: float = 3600.0  # a provider's Retry-After is honoured up to this
    # A claim outlives the longest send (providers' own timeouts are ≤ 10 s by default) by this
    # much; a worker killed mid-send leaves its claim to expire, and the delivery is due again.
    lease_seconds: float = 60.0

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    def retry_delay(self, role_attempts: int, retry_after: float | None) -> float:
        delay = self.backoff.delay(role_attempts)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after_seconds))
        return delay


DEFAULT_POLICY = SendingPolicy()
