"""How hard the worker tries: attempts, backoff, the HTTP deadline and the claim's lease."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from backend.core.backoff import Backoff


@dataclass(frozen=True)
class DeliveryPolicy:
    # 8 tries spread over about an hour (30 s, 1, 2, 4, 8, 16, 32 min ceilings, jittered down to half):
    # long enough to ride out a receiver's deploy or a short outage.
    max_attempts: int = 8
    backoff: Backoff = field(default_factory=lambda: Backoff(base_seconds=30, cap_seconds=3600))
    timeout_seconds: float = 10.0  # the whole HTTP exchange, connect to last byte
    # A claim outlives the longest attempt by this much; a worker killed mid-attempt leaves its
    # claim to expire, after which the delivery is due again.
    lease_margin_seconds: float = 20.0
    response_excerpt_bytes: int = 500

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout_seconds + self.lease_margin_seconds)


DEFAULT_POLICY = DeliveryPolicy()
