"""The doorbell for send jobs: Redis only says "this delivery is due"; the database decides.

A job id names the delivery and the attempt it would make, so arq refuses a second copy of one
attempt while it is queued, and the next attempt gets a fresh id."""

from __future__ import annotations

import time
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
# A wake published this recently already covers a delivery committed now: a sender claims no
# sooner than its gathering pause (jobs/delivery_sender.py, 100 ms) after hearing one.
COALESCE_SECONDS = 0.02
_last_wake = -1.0


async def wake_sender(redis_pool: Any = None) -> None:
    """Best effort, after commit: tell the workers' senders that deliveries are due now. Without
    Redis nothing is lost: each sender also looks in the database every second or so."""
    global _last_wake
    pool = redis_pool if redis_pool is not None else outbox.doorbell()
    now = time.monotonic()
    if pool is None or now - _last_wake < COALESCE_SECONDS:
        return
    _last_wake = now
    try:
        await pool.publish(SENDER_CHANNEL, b"1")
    except Exception:  # noqa: BLE001 - Redis away: the sender's own look finds them
        return
