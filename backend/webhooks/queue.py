"""The doorbells: Redis only says "this is due"; the database decides.

Due deliveries are the workers' senders' (jobs/senders.py): :func:`wake_sender` tells them to look.
A claim that expired (a worker killed mid-attempt) is the delivery job's, rung by the cron: its id
names the delivery, its series and its attempt number, so arq refuses a second copy of the same
attempt while one is queued."""

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


SENDER_CHANNEL = "mirabelle:webhooks:due"  # Redis pub/sub: "webhook deliveries are due", heard by every worker's sender


async def wake_sender(redis_pool: Any = None) -> None:
    """Best effort, after commit: tell the workers' senders that webhook deliveries are due now."""
    await outbox.wake(SENDER_CHANNEL, redis_pool)
