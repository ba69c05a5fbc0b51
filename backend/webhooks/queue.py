"""The doorbell for delivery jobs: Redis only says "this delivery is due"; the database decides.

A job id names the delivery, its series and its attempt number, so arq refuses a second copy of
the same attempt while one is queued, and a later attempt (or a replay) gets a fresh id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.core import outbox

DELIVER_JOB = "deliver_webhook"


@dataclass(frozen=True)
class DueAttempt:
    delivery_id: uuid.UUID
    series: int
    number: int  # the attempt to make
    due_at: datetime | None = None  # None: now

    @property
    def job_id(self) -> str:
        return f"webhook:{self.delivery_id}:{self.series}.{self.number}"


async def ring(attempts: Iterable[DueAttempt], redis_pool: Any = None) -> int:
    """Best effort: enqueue each attempt's job (deferred until it is due); returns how many were new.
    Without Redis nothing is lost: the worker's cron enqueues whatever is due."""
    return await outbox.ring_jobs(DELIVER_JOB, ((str(due.delivery_id), due.job_id, due.due_at) for due in attempts), redis_pool)
