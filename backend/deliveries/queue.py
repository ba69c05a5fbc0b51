"""The doorbell for send jobs: Redis only says "this delivery is due"; the database decides.

A job id names the delivery and the attempt it would make, so arq refuses a second copy of one
attempt while it is queued, and the next attempt gets a fresh id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from backend.core import outbox

log = structlog.get_logger(__name__)

SEND_JOB = "send_delivery"


@dataclass(frozen=True)
class DueSend:
    delivery_id: uuid.UUID
    number: int  # the attempt to make
    due_at: datetime | None = None  # None: now

    @property
    def job_id(self) -> str:
        return f"delivery:{self.delivery_id}:{self.number}"


async def ring(sends: Iterable[DueSend], redis_pool: Any = None) -> int:
    """Best effort: enqueue each send's job (deferred until due); returns how many were new.
    Without Redis nothing is lost: the ``delivery.due`` events and the worker's cron bring them back."""
    pool = redis_pool if redis_pool is not None else outbox.doorbell()
    if pool is None:
        return 0
    new = 0
    try:
        for send in sends:
            job = await pool.enqueue_job(SEND_JOB, str(send.delivery_id), _job_id=send.job_id, _defer_until=send.due_at)
            new += job is not None
    except Exception as error:  # Redis down: the cron picks these up
        log.warning("deliveries.ring_failed", error=str(error))
    return new
