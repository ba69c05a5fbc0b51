"""Retry delays shared by every job that retries: the outbox worker and webhook deliveries."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: after failed attempt n, wait between half and all of
    base·2^(n-1) seconds, at most the cap. The jitter spreads the retries of events that failed
    together (a provider outage) instead of bringing them back in one burst."""

    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def ceiling(self, attempts: int) -> float:
        return min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))

    def delay(self, attempts: int) -> float:
        ceiling = self.ceiling(attempts)
        return random.uniform(ceiling / 2, ceiling)
