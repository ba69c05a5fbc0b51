"""Announcement jobs: send one batch of a promotional push's messages and ring the next batch, and
the cron that picks up announcements nobody rang for (Redis away, a worker stopped). Thin adapters
over backend.deliveries.services.announcements; the rules live there."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import structlog
from arq.cron import cron
from arq.worker import func

from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.deliveries.services import announcements
from jobs.handback import hands_back_when_cancelled

log = structlog.get_logger(__name__)


@hands_back_when_cancelled
async def send_announcement(ctx: dict[str, Any], announcement_id: str) -> str:
    """One batch; while messages remain, the next batch is its own job (short jobs, progress in the database)."""
    view, wait = await announcements.send_batch(uuid.UUID(announcement_id))
    if view.status == "sending":  # paced: the next batch when the provider has a slot again
        due = utcnow() + timedelta(seconds=wait) if wait else None
        await announcements.ring([view.id], ctx["redis"], batch_number=view.sent + view.failed, due_at=due)
    return view.status


async def enqueue_unfinished_announcements(ctx: dict[str, Any]) -> int:
    unfinished = await announcements.unfinished_announcements()
    enqueued = 0
    for announcement_id in unfinished:
        view = await announcements.get_announcement(SYSTEM, announcement_id)
        enqueued += await announcements.ring([announcement_id], ctx["redis"], batch_number=view.sent + view.failed)
    if enqueued:
        log.info("deliveries.announcements_enqueued", jobs=enqueued)
    return enqueued


def job_functions(timeout: int) -> list:
    return [func(send_announcement, name=announcements.JOB, timeout=timeout, keep_result=0, max_tries=3)]


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [cron(enqueue_unfinished_announcements, name="cron:announcements", run_at_startup=True, timeout=timeout, **schedule)]
