"""The doorbell for send jobs: Redis only says "this delivery is due"; the database decides.

A job id names the delivery and the attempt it would make, so arq refuses a second copy of one
attempt while it is queued, and the next attempt gets a fresh id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.core import outbox

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
    return await outbox.ring_jobs(SEND_JOB, ((str(due.delivery_id), due.job_id, due.due_at) for due in sends), redis_pool)


SENDER_CHANNEL = "mirabelle:deliveries:due"  # Redis pub/sub: "deliveries are due", heard by every worker's sender


async def wake_sender(redis_pool: Any = None) -> None:
    """Best effort, after commit: tell the workers' senders that deliveries are due now."""
    await outbox.wake(SENDER_CHANNEL, redis_pool)
