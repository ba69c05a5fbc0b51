"""Webhook jobs: the outbox handler that turns an event into deliveries, the job that makes one
attempt, and the cron that enqueues whatever is due (so losing Redis loses nothing).

Thin adapters over backend.webhooks; the rules live there."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.cron import cron
from arq.worker import Retry, func

from backend.core import outbox
from backend.core.outbox import Event
from backend.webhooks import queue
from backend.webhooks.policy import DEFAULT_POLICY, DeliveryPolicy
from backend.webhooks.services import deliveries, sending
from backend.webhooks.topics import TOPICS
from jobs.handback import hands_back_when_cancelled

log = structlog.get_logger(__name__)

POLICY_KEY = "webhooks"  # the DeliveryPolicy in the worker's ctx
# A job that finds no delivery (rung by a replica that has not seen the commit yet) waits
# for its delivery this many times (0.25 s, 0.5 s, …) before leaving it to the cron.
MISSING_TRIES = 5


async def make_deliveries(events: list[Event]) -> None:
    """Outbox handler of a topic's events, inside the transaction that marks them done: it only
    writes rows, and rings their jobs once that transaction has committed (best effort: the cron
    finds them too)."""
    made = await deliveries.enqueue_deliveries(events[0].topic, [(event.id, event.payload) for event in events])
    if made:
        outbox.after_commit(lambda: queue.ring(made))


_MAKE_DELIVERIES = outbox.batched(make_deliveries)  # one object for every topic (jobs/outbox.py compares them)
HANDLERS = {topic: _MAKE_DELIVERIES for topic in TOPICS}


@hands_back_when_cancelled
async def deliver_webhook(ctx: dict[str, Any], delivery_id: str) -> str:
    policy: DeliveryPolicy = ctx.get(POLICY_KEY, DEFAULT_POLICY)
    outcome = await sending.attempt_delivery(uuid.UUID(delivery_id), policy)
    if outcome.status == sending.MISSING and ctx.get("job_try", 1) < MISSING_TRIES:
        raise Retry(defer=0.25 * ctx.get("job_try", 1))
    if outcome.retry is not None:
        await queue.ring([outcome.retry], ctx["redis"])  # deferred until due; the cron is the safety net
    log.info("webhooks.attempt", delivery_id=delivery_id, outcome=outcome.status, attempt=outcome.number)
    return outcome.status


async def enqueue_due_deliveries(ctx: dict[str, Any]) -> int:
    enqueued = await queue.ring(await deliveries.due_attempts(), ctx["redis"])
    if enqueued:
        log.info("webhooks.due_enqueued", jobs=enqueued)
    return enqueued


def job_functions(timeout: int) -> list:
    return [func(deliver_webhook, name=queue.DELIVER_JOB, timeout=timeout, keep_result=0, max_tries=MISSING_TRIES + 1)]


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [cron(enqueue_due_deliveries, run_at_startup=True, timeout=timeout, **schedule)]
