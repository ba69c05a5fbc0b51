"""Deliveries: one per (endpoint, event) made from an outbox event, listed for the console, found
when due, and replayed on request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.webhooks import queue
from backend.webhooks.queue import DueAttempt
from backend.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from backend.webhooks.views import (
    DELIVERING,
    PENDING,
    REPLAYABLE,
    STATUSES,
    AttemptView,
    DeliveryView,
    Page,
    attempt_view,
    delivery_view,
)

DUE_BATCH = 500


async def enqueue_deliveries(topic: str, events: Sequence[tuple[uuid.UUID, dict]]) -> list[DueAttempt]:
    """One pending delivery per enabled endpoint subscribed to ``topic``, for each of its
    ``events`` (id, payload), in the caller's transaction (the outbox's, so deliveries exist if
    and only if the events are marked done): one read of the endpoints and one insert for them
    all, nothing but the read when no endpoint listens. An event seen again makes no second
    delivery: UNIQUE (endpoint, event_id). Returns the first attempt of each delivery made, for
    the caller to ring after commit."""
    endpoints = await WebhookEndpoint.select(WebhookEndpoint.id, WebhookEndpoint.topics).where(
        WebhookEndpoint.enabled.eq(True), WebhookEndpoint.topics.any(topic)
    )
    # On SQLite any() is a substring match over the stored list: keep exact subscriptions only.
    subscribed = [row["id"] for row in endpoints if topic in (row["topics"] or ())]
    if not subscribed or not events:
        return []
    now = utcnow()
    made = await (
        WebhookDelivery.insert(
            *(
                WebhookDelivery(
                    id=new_id(),
                    endpoint=endpoint_id,
                    event_id=event_id,
                    topic=topic,
                    payload=payload,
                    status=PENDING,
                    series=1,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                for event_id, payload in events
                for endpoint_id in subscribed
            )
        )
        .on_conflict(target=(WebhookDelivery.endpoint, WebhookDelivery.event_id), action="DO NOTHING")
        .returning(WebhookDelivery.id)
    )
    return [DueAttempt(row["id"], series=1, number=1) for row in made]


async def due_attempts(now: datetime | None = None, limit: int = DUE_BATCH) -> list[DueAttempt]:
    """Deliveries whose worker's claim ran out (it was killed mid-attempt), and due ones whose endpoint
    was disabled while they waited: what the worker's cron enqueues for the delivery job. The other
    due ones are the senders' (``sending.send_due``)."""
    now = now or utcnow()
    rows = await (
        WebhookDelivery.select(WebhookDelivery.id, WebhookDelivery.series, WebhookDelivery.attempts)
        .where(
            ((WebhookDelivery.status == DELIVERING) & (WebhookDelivery.claimed_until < now))
            | (
                (WebhookDelivery.status == PENDING)
                & (WebhookDelivery.next_attempt_at <= now)
                & WebhookDelivery.endpoint.enabled.eq(False)
            )
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    # ``attempts`` counts the attempts begun (a stale claim's too): the next one is the one after.
    return [DueAttempt(row["id"], row["series"], row["attempts"] + 1) for row in rows]


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class DeliveryFilter:
    status: str | None = None
    endpoint_id: uuid.UUID | None = None
    topic: str | None = None
    event_id: uuid.UUID | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before


def _where(query, wanted: DeliveryFilter):
    if wanted.status:
        if wanted.status not in STATUSES:
            raise DomainError.single("INVALID_STATUS", f"expected one of {', '.join(STATUSES)}", field="status")
        query = query.where(WebhookDelivery.status == wanted.status)
    if wanted.endpoint_id:
        query = query.where(WebhookDelivery.endpoint == wanted.endpoint_id)
    if wanted.topic:
        query = query.where(WebhookDelivery.topic == wanted.topic)
    if wanted.event_id:
        query = query.where(WebhookDelivery.event_id == wanted.event_id)
    if wanted.since:
        query = query.where(WebhookDelivery.created_at >= wanted.since)
    if wanted.until:
        query = query.where(WebhookDelivery.created_at < wanted.until)
    return query


def _with_url():
    return WebhookDelivery.select(*WebhookDelivery.all_columns(), WebhookDelivery.endpoint.url.as_alias("endpoint_url"))


async def list_deliveries(actor: Actor, wanted: DeliveryFilter = DeliveryFilter(), offset: int = 0, limit: int = 50) -> Page:
    """Newest first, filtered and paged in the database."""
    actor.require(Permission.WEBHOOKS_MANAGE)
    rows = await (
        _where(_with_url(), wanted).order_by(WebhookDelivery.id, ascending=False).offset(offset).limit(max(1, min(limit, 200)))
    )
    total = await _where(WebhookDelivery.count(), wanted)
    return Page(rows=[delivery_view(row, row["endpoint_url"]) for row in rows], total=total)


async def _delivery(delivery_id: uuid.UUID) -> DeliveryView:
    row = await _with_url().where(WebhookDelivery.id == delivery_id).first()
    if row is None:
        raise NotFound("webhook delivery", delivery_id)
    return delivery_view(row, row["endpoint_url"])


async def get_delivery(actor: Actor, delivery_id: uuid.UUID) -> DeliveryView:
    actor.require(Permission.WEBHOOKS_MANAGE)
    return await _delivery(delivery_id)


async def list_attempts(actor: Actor, delivery_id: uuid.UUID) -> list[AttemptView]:
    """Every attempt of every series, oldest first (a delivery has at most a few dozen)."""
    actor.require(Permission.WEBHOOKS_MANAGE)
    rows = await (
        WebhookAttempt.select()
        .where(WebhookAttempt.delivery == delivery_id)
        .order_by(WebhookAttempt.series)
        .order_by(WebhookAttempt.number)
        .limit(1000)
    )
    return [attempt_view(row) for row in rows]


# ---------------------------------------------------------------- replay


def _audited(delivery: DeliveryView) -> dict:
    return {
        "status": delivery.status,
        "series": delivery.series,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
    }


async def replay(actor: Actor, delivery_id: uuid.UUID) -> DeliveryView:
    """Send a failed or succeeded delivery again: pending now, as a new series of attempts (the
    earlier attempts stay on record). Same body and webhook-id, signed afresh."""
    actor.require(Permission.WEBHOOKS_MANAGE)
    async with write_transaction():
        before = await _delivery(delivery_id)
        if not before.replayable:
            raise DomainError.single("NOT_REPLAYABLE", f"the delivery is {before.status}: it is still being tried")
        if not await WebhookEndpoint.exists().where(WebhookEndpoint.id == before.endpoint_id, WebhookEndpoint.enabled.eq(True)):
            raise DomainError.single("ENDPOINT_DISABLED", f"the endpoint {before.endpoint_url} is disabled: enable it first")
        now = utcnow()
        replayed = (
            await WebhookDelivery.update(
                {
                    WebhookDelivery.status: PENDING,
                    WebhookDelivery.series: before.series + 1,
                    WebhookDelivery.attempts: 0,
                    WebhookDelivery.next_attempt_at: now,
                    WebhookDelivery.claimed_until: None,
                    WebhookDelivery.delivered_at: None,
                    WebhookDelivery.last_status_code: None,
                    WebhookDelivery.last_error: None,
                }
            )
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status.is_in(list(REPLAYABLE)),
                WebhookDelivery.series == before.series,
            )
            .returning(WebhookDelivery.id)
        )
        if not replayed:  # another replay won the race
            raise DomainError.single("NOT_REPLAYABLE", "the delivery was replayed by someone else a moment ago")
        after = await _delivery(delivery_id)
        await audit.record(
            actor, "webhook_delivery.replayed", "webhook_delivery", delivery_id, before=_audited(before), after=_audited(after)
        )
    await queue.wake_sender()
    return after
