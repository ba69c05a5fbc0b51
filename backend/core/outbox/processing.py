"""Relaying and processing: the worker's cron enqueues what ringing missed, and each job runs its event's handler exactly once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import structlog

from backend.core import sql
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.outbox.events import DONE, FAILED, MAX_ATTEMPTS, PENDING, SKIPPED, Batched, Event, Handler
from backend.core.outbox.ringing import after_commit_actions, enqueue_events
from backend.core.request_context import begin_request
from backend.core.tables import OutboxEvent

log = structlog.get_logger("backend.core.outbox")


async def relay_pending(redis_pool: Any, stale_after: timedelta, batch: int = 500) -> int:
    """Enqueue pending events never enqueued, or enqueued longer ago than ``stale_after``.

    Works through the backlog batch by batch (after a long Redis outage there may be many); each
    batch is stamped ``enqueued_at`` = now, later than the cutoff, so the loop ends. Returns the
    number of jobs newly enqueued.

    An event that has failed before goes to a job of its own, named after it: while its retry
    waits out its backoff (arq keeps that job), the relay's copy is refused, so a failing event is
    never run early, nor fails a batch of others."""
    cutoff = utcnow() - stale_after
    new = 0
    while True:
        rows = (
            await OutboxEvent.select(OutboxEvent.id, OutboxEvent.attempts)
            .where(OutboxEvent.status == PENDING)
            .where((OutboxEvent.enqueued_at.is_null()) | (OutboxEvent.enqueued_at < cutoff))
            .order_by(OutboxEvent.id)
            .limit(batch)
        )
        new += await enqueue_events(redis_pool, [row["id"] for row in rows if not row["attempts"]])
        new += await enqueue_events(redis_pool, [row["id"] for row in rows if row["attempts"]], per_job=1)
        if len(rows) < batch:
            return new


class RetryLater(Exception):
    """The handler failed (its transaction rolled back, the failure is recorded): run it again later."""

    def __init__(self, attempts: int):
        self.attempts = attempts
        super().__init__(f"retry after attempt {attempts}")


class NoHandler(Exception):
    """No handler for the event's topic in this worker (an older release during a deploy, or a
    module left out): a failure to retry, never "done", so the event is not silently dropped."""


@dataclass(frozen=True)
class Processed:
    """What a job of several events did: ``done`` events handled, ``skipped`` already done (a
    duplicate delivery), and ``handed_over``: the events of a batch that failed, each for a job
    of its own (:func:`process`), which records the failure and retries it."""

    done: int
    skipped: int
    handed_over: list[uuid.UUID]


async def process(
    event_id: uuid.UUID,
    handlers: Mapping[str, Handler],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    time_limit: float | None = None,
) -> str:
    """Run the handler of one event exactly once. Returns ``done``, ``failed`` (parked after
    ``max_attempts``) or ``skipped`` (a duplicate delivery); raises :class:`RetryLater`.

    ``time_limit`` should be shorter than the job's arq timeout: a handler that overruns is then
    rolled back and recorded as a failed attempt here, instead of being cancelled by arq, which
    would drop the job without a trace until the relay finds the event stale."""
    begin_request(f"outbox-{event_id.hex}")  # its failure's log lines too
    try:
        claimed = await _apply([event_id], handlers, time_limit)
    except HandlerFailed as failure:
        attempts = await _record_failure(event_id, failure.reason, max_attempts)
        if attempts is None:
            return SKIPPED  # a duplicate delivery finished the event meanwhile
        if attempts >= max_attempts:
            log.error("outbox.event_failed", event_id=str(event_id), attempts=attempts, error=failure.reason)
            return FAILED
        log.warning("outbox.attempt_failed", event_id=str(event_id), attempts=attempts, error=failure.reason)
        raise RetryLater(attempts) from failure.__cause__
    return DONE if claimed else SKIPPED  # not claimed: already done or failed, a duplicate delivery of the job


async def process_batch(
    event_ids: list[uuid.UUID], handlers: Mapping[str, Handler], *, time_limit: float | None = None
) -> Processed:
    """Run the handlers of several events exactly once, in one transaction: one claim for all of
    them, then each topic's handler (a :class:`Batched` one once for all its events). If anything
    fails, nothing is kept and no attempt is counted: the events are handed over, each to a job of
    its own (:func:`process`), so that one bad event neither holds up the others nor is hidden
    among them."""
    if len(event_ids) == 1:
        raise ValueError("one event is process()'s: its failures are counted and retried")
    begin_request(f"outbox-{event_ids[0].hex}+{len(event_ids) - 1}")  # the batch's log lines
    try:
        claimed = await _apply(event_ids, handlers, time_limit)
    except HandlerFailed as failure:
        log.warning("outbox.batch_handed_over", events=len(event_ids), error=failure.reason)
        return Processed(done=0, skipped=0, handed_over=list(event_ids))
    return Processed(done=claimed, skipped=len(event_ids) - claimed, handed_over=[])


class HandlerFailed(Exception):
    """The claim or a handler failed (or ran out of time): the transaction rolled back."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


_CLAIM = "UPDATE outbox_events SET status = $1, processed_at = $2 WHERE status = $3 AND id IN ({ids}) RETURNING id, topic, payload, attempts"


@lru_cache(maxsize=128)
def _claim_sql(count: int) -> str:
    return _CLAIM.format(ids=", ".join(f"${index + 4}" for index in range(count)))


async def _apply(event_ids: list[uuid.UUID], handlers: Mapping[str, Handler], time_limit: float | None) -> int:
    """Claim the events still pending among ``event_ids`` and run their handlers, in one write
    transaction: the effects and the "done" marks commit together, exactly once. Then the
    handlers' after-commit actions (best effort). Returns how many were claimed; raises
    :class:`HandlerFailed` (the transaction rolled back)."""
    deadline: asyncio.Timeout | None = None
    actions: list[Callable[[], Awaitable[Any]]] = []
    token = after_commit_actions.set(actions)
    try:
        async with write_transaction():
            rows = await sql.fetch(_claim_sql(len(event_ids)), DONE, utcnow(), PENDING, *event_ids)
            if not rows:
                return 0
            order = {event_id: n for n, event_id in enumerate(event_ids)}
            by_topic: dict[str, list[Event]] = {}
            for row in sorted(rows, key=lambda row: order[row["id"]]):
                payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
                by_topic.setdefault(row["topic"], []).append(Event(row["id"], row["topic"], payload, row["attempts"]))
            # The limit covers the handlers only, inside the transaction, whose exit then rolls back
            # and closes the connection in order: waiting for the claim is not the handlers' time.
            async with (deadline := asyncio.timeout(time_limit)):
                for topic, events in by_topic.items():
                    await _handle(handlers.get(topic), topic, events)
    except Exception as error:
        timed_out = deadline is not None and deadline.expired()
        reason = f"timed out after {time_limit:g}s" if timed_out else f"{type(error).__name__}: {error}"
        raise HandlerFailed(reason) from error
    finally:
        after_commit_actions.reset(token)
    for action in actions:  # committed: the events are done whatever happens here
        try:
            await action()
        except Exception as error:
            log.warning("outbox.after_commit_failed", events=len(rows), error=f"{type(error).__name__}: {error}")
    return len(rows)


async def _handle(handler: Handler | None, topic: str, events: list[Event]) -> None:
    """Logs and audit entries of an event's work carry its id (a batch's: its first event's, and
    how many follow)."""
    if handler is None:
        raise NoHandler(f"no handler for topic {topic!r} in this worker")
    if isinstance(handler, Batched):
        more = f"+{len(events) - 1}" if len(events) > 1 else ""
        begin_request(f"outbox-{events[0].id.hex}{more}")
        await handler.handle(events)
        return
    for event in events:
        begin_request(f"outbox-{event.id.hex}")
        await handler(event)


async def _record_failure(event_id: uuid.UUID, reason: str, max_attempts: int) -> int | None:
    """Count a failed attempt and park the event as failed at ``max_attempts``; None if it is no
    longer pending."""
    async with write_transaction():
        rows = await (
            OutboxEvent.update({OutboxEvent.attempts: OutboxEvent.attempts + 1, OutboxEvent.last_error: reason[:2000]})
            .where(OutboxEvent.id == event_id, OutboxEvent.status == PENDING)
            .returning(OutboxEvent.attempts)
        )
        if not rows:
            return None
        attempts = rows[0]["attempts"]
        if attempts >= max_attempts:
            await OutboxEvent.update({OutboxEvent.status: FAILED}).where(
                OutboxEvent.id == event_id, OutboxEvent.status == PENDING
            )
        return attempts


async def counts() -> dict[str, int]:
    rows = await OutboxEvent.select(OutboxEvent.status, OutboxEvent.id.count().as_alias("n")).group_by(OutboxEvent.status)
    return {row["status"]: row["n"] for row in rows}
