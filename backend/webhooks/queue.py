"""The doorbell for delivery jobs: Redis only says "this delivery is due"; the database decides.

A job id names the delivery, its series and its attempt number, so arq refuses a second copy of
the same attempt while one is queued, and a later attempt (or a replay) gets a fresh id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from backend.core import outbox

log = structlog.get_logger(__name__)

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
    pool = redis_pool if redis_pool is not None else outbox.doorbell()
    if pool is None:
        return 0
    new = 0
    try:
        for attempt in attempts:
            job = await pool.enqueue_job(
                DELIVER_JOB, str(attempt.delivery_id), _job_id=attempt.job_id, _defer_until=attempt.due_at
            )
            new += job is not None
    except Exception as error:  # Redis down: the cron picks these up
        log.warning("webhooks.ring_failed", error=str(error))
    return new
