"""Webhook jobs: the outbox handler that turns an event into deliveries and wakes the senders
(jobs/senders.py, which claim and send due deliveries in batches), the job that makes one attempt at
one delivery, and the cron that enqueues for it the deliveries whose claim expired (a worker killed
mid-attempt: the job records the lost attempt and sends again) or whose endpoint was disabled while
they waited (it stops them).

Thin adapters over backend.webhooks; the rules live there."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.cron import cron
from arq.worker import func

from backend.core import outbox
from backend.core.outbox import Event
from backend.webhooks import queue
from backend.webhooks.policy import DEFAULT_POLICY, DeliveryPolicy
from backend.webhooks.services import deliveries, sending
from backend.webhooks.topics import TOPICS
from jobs.handback import hands_back_when_cancelled

log = structlog.get_logger(__name__)

POLICY_KEY = "webhooks"  # the DeliveryPolicy in the worker's ctx


async def make_deliveries(events: list[Event]) -> None:
    """Outbox handler of a topic's events, inside the transaction that marks them done: it only
    writes rows, and wakes the senders once that transaction has committed (best effort: they also
    look in the database every second)."""
    made = await deliveries.enqueue_deliveries(events[0].topic, [(event.id, event.payload) for event in events])
    if made:
        outbox.after_commit(queue.wake_sender)


_MAKE_DELIVERIES = outbox.batched(make_deliveries)  # one object for every topic (jobs/outbox.py compares them)
HANDLERS = {topic: _MAKE_DELIVERIES for topic in TOPICS}


@hands_back_when_cancelled
async def deliver_webhook(ctx: dict[str, Any], delivery_id: str) -> str:
    policy: DeliveryPolicy = ctx.get(POLICY_KEY, DEFAULT_POLICY)
    outcome = await sending.attempt_delivery(uuid.UUID(delivery_id), policy)
    # A retry it scheduled is pending with its due time: the senders take it then.
    log.info("webhooks.attempt", delivery_id=delivery_id, outcome=outcome.status, attempt=outcome.number)
    return outcome.status


async def enqueue_due_deliveries(ctx: dict[str, Any]) -> int:
    enqueued = await queue.ring(await deliveries.due_attempts(), ctx["redis"])
    if enqueued:
        log.info("webhooks.due_enqueued", jobs=enqueued)
    return enqueued


def job_functions(timeout: int) -> list:
    return [func(deliver_webhook, name=queue.DELIVER_JOB, timeout=timeout, keep_result=0, max_tries=3)]


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [cron(enqueue_due_deliveries, run_at_startup=True, timeout=timeout, **schedule)]
