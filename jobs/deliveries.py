"""Delivery jobs: the outbox handlers that make a reward's delivery and ring its send, the job that
makes one attempt, and the cron that enqueues whatever is due (so losing Redis loses nothing).

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
from backend.deliveries.services import creation, sending, test_sends
from backend.deliveries.views import DELIVERY_DUE
from backend.rewards.views import REWARD_ISSUED
from jobs.handback import hands_back_when_cancelled

log = structlog.get_logger(__name__)

POLICY_KEY = "deliveries"  # the SendingPolicy in the worker's ctx
# A send job that finds no delivery (rung by a replica that has not seen the commit yet) waits for
# it this many times (0.25 s, 0.5 s, …) before leaving it to the delivery.due event.
MISSING_TRIES = 5


async def make_delivery(event: Event) -> None:
    """reward.issued, inside the transaction that marks the event done: the reward's delivery (and
    its delivery.due event); its send is rung once that transaction has committed (best effort)."""
    made = await creation.deliver_reward(uuid.UUID(event.payload["issuance_id"]))
    if made is not None and made.due is not None:
        due = made.due
        outbox.after_commit(lambda: queue.ring([due]))


async def ring_due_delivery(event: Event) -> None:
    """delivery.due: ring the send job, unless the delivery is no longer waiting (sent or flagged)."""
    due = await sending.due_send(uuid.UUID(event.payload["delivery_id"]))
    if due is not None:
        await queue.ring([due])


HANDLERS = {REWARD_ISSUED: make_delivery, DELIVERY_DUE: ring_due_delivery}


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


async def enqueue_due_sends(ctx: dict[str, Any]) -> int:
    enqueued = await queue.ring(await sending.due_sends(), ctx["redis"])
    enqueued += await test_sends.ring(await test_sends.due_test_sends(), ctx["redis"])
    if enqueued:
        log.info("deliveries.due_enqueued", jobs=enqueued)
    return enqueued


def job_functions(timeout: int) -> list:
    return [
        func(send_delivery, name=queue.SEND_JOB, timeout=timeout, keep_result=0, max_tries=MISSING_TRIES + 1),
        func(send_test_message, name=test_sends.JOB, timeout=timeout, keep_result=0, max_tries=3),
    ]


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [cron(enqueue_due_sends, run_at_startup=True, timeout=timeout, **schedule)]
