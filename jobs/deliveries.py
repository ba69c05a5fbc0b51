"""Delivery jobs: the outbox handler that makes a reward's delivery and wakes the senders
(jobs/delivery_sender.py, which claim and send due deliveries in batches), the job that makes one
attempt at one delivery, and the cron that enqueues the deliveries whose claim expired (a worker
killed mid-send) for that job, which records the lost attempt and sends again.

Thin adapters over backend.deliveries; the rules live there."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.cron import cron
from arq.worker import Retry, func

from backend.core import outbox
from backend.core.clock import utcnow
from backend.core.outbox import Event
from backend.deliveries import queue
from backend.deliveries.policy import DEFAULT_POLICY, SendingPolicy
from backend.deliveries.services import creation, notices, sending, status_callbacks, test_sends, upload_resends
from backend.deliveries.views import DELIVERY_DUE
from backend.rewards.views import REWARD_ISSUED
from jobs.handback import hands_back_when_cancelled

log = structlog.get_logger(__name__)

POLICY_KEY = "deliveries"  # the SendingPolicy in the worker's ctx
RESEND_BUDGET_KEY = "upload_run_seconds"  # ctx: one run's time (the upload jobs' budget, half the job timeout)
# A send job that finds no delivery (rung by a replica that has not seen the commit yet) waits for
# it this many times (0.25 s, 0.5 s, …) before leaving it to the senders.
MISSING_TRIES = 5


async def make_deliveries(events: list[Event]) -> None:
    """reward.issued, inside the transaction that marks the events done: the rewards' deliveries
    (one insert for a job's events); the workers' senders are woken once that transaction has
    committed (best effort: they also look in the database every second)."""
    made = await creation.deliver_rewards([uuid.UUID(event.payload["issuance_id"]) for event in events])
    if any(created.due is not None for created in made.values()):
        outbox.after_commit(queue.wake_sender)


async def ring_due_delivery(event: Event) -> None:
    """delivery.due, written before the senders claimed due deliveries themselves (no longer written):
    wake the senders, unless the delivery is no longer waiting (sent or flagged)."""
    if await sending.due_send(uuid.UUID(event.payload["delivery_id"])) is not None:
        await queue.wake_sender()


RESEND_UPLOAD_JOB = "resend_upload_failures"


async def enqueue_upload_resend(redis: Any, upload_id: str, after: str | None, requested_by: str) -> bool:
    """The next run of an upload's resend; its id names the upload and the cursor, so a copy of a
    run queued or running is refused by arq."""
    job_id = f"deliveries:resend-upload:{upload_id}:{after or 'start'}"
    return await redis.enqueue_job(RESEND_UPLOAD_JOB, upload_id, after, requested_by, _job_id=job_id) is not None


async def start_upload_resend(event: Event) -> None:
    """deliveries.upload_resend_requested: enqueue the first run (no Redis: the event is retried)."""
    redis = outbox.doorbell()
    if redis is None:
        raise RuntimeError("no Redis to enqueue the upload's resend on")
    await enqueue_upload_resend(redis, event.payload["upload_id"], None, event.payload["requested_by"])


HANDLERS = {
    REWARD_ISSUED: outbox.batched(make_deliveries),
    DELIVERY_DUE: ring_due_delivery,
    upload_resends.UPLOAD_RESEND_REQUESTED: start_upload_resend,
}


@hands_back_when_cancelled
async def resend_upload_failures(ctx: dict[str, Any], upload_id: str, after: str | None, requested_by: str) -> int:
    """One run of an upload's resend (half the job timeout at most), then the next run's job."""
    run = await upload_resends.resend_some(
        upload_resends.worker_for(requested_by),
        uuid.UUID(upload_id),
        uuid.UUID(after) if after else None,
        ctx.get(RESEND_BUDGET_KEY, 10.0),
    )
    log.info("deliveries.upload_resending", upload_id=upload_id, resent=run.resent, refused=run.refused, left=run.remaining)
    if run.after is not None:
        await enqueue_upload_resend(ctx["redis"], upload_id, str(run.after), requested_by)
    return run.resent


@hands_back_when_cancelled
async def send_delivery(ctx: dict[str, Any], delivery_id: str) -> str:
    policy: SendingPolicy = ctx.get(POLICY_KEY, DEFAULT_POLICY)
    outcome = await sending.send_delivery(uuid.UUID(delivery_id), policy)
    if outcome.status == sending.MISSING and ctx.get("job_try", 1) < MISSING_TRIES:
        raise Retry(defer=0.25 * ctx.get("job_try", 1))
    if outcome.status == sending.PACED:  # the same attempt, later: this job's id is still taken, so arq's Retry
        raise Retry(defer=max(0.0, (outcome.retry.due_at - utcnow()).total_seconds()))
    if outcome.retry is not None:
        await queue.ring([outcome.retry], ctx["redis"])  # deferred until due; the cron is the safety net
    log.info("deliveries.attempt", delivery_id=delivery_id, outcome=outcome.status, attempt=outcome.number)
    return outcome.status


@hands_back_when_cancelled
async def send_test_message(ctx: dict[str, Any], test_id: str) -> str:
    """A test message an admin asked for in the console."""
    return await test_sends.send_test(uuid.UUID(test_id))


@hands_back_when_cancelled
async def send_notice(ctx: dict[str, Any], notice_id: str) -> str:
    """A message that is not a reward's (a ticket reply, a replacement code, an SLA breach)."""
    return await notices.send_notice(uuid.UUID(notice_id))


async def enqueue_due_sends(ctx: dict[str, Any]) -> int:
    enqueued = await queue.ring(await sending.due_sends(), ctx["redis"])
    enqueued += await test_sends.ring(await test_sends.due_test_sends(), ctx["redis"])
    enqueued += await notices.ring(await notices.due_notices(), ctx["redis"])
    if enqueued:
        log.info("deliveries.due_enqueued", jobs=enqueued)
    return enqueued


def job_functions(timeout: int) -> list:
    return [
        func(send_delivery, name=queue.SEND_JOB, timeout=timeout, keep_result=0, max_tries=MISSING_TRIES + 1),
        func(send_test_message, name=test_sends.JOB, timeout=timeout, keep_result=0, max_tries=3),
        func(send_notice, name=notices.JOB, timeout=timeout, keep_result=0, max_tries=3),
        func(resend_upload_failures, name=RESEND_UPLOAD_JOB, timeout=timeout, keep_result=0, max_tries=3),
    ]


async def prune_callback_receipts(ctx: dict[str, Any]) -> int:
    """Replay receipts past their window (status_callbacks.RECEIPT_DAYS), once an hour."""
    pruned = await status_callbacks.prune_receipts()
    if pruned:
        log.info("deliveries.receipts_pruned", receipts=pruned)
    return pruned


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [
        cron(enqueue_due_sends, run_at_startup=True, timeout=timeout, **schedule),
        cron(prune_callback_receipts, minute=17, second=0, timeout=timeout),  # hourly, at a quiet minute
    ]
