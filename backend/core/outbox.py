"""Transactional outbox: the database is the source of truth, Redis is only the doorbell.

A service calls :func:`add` inside its write transaction, so the event exists if and only if the
state change does. After commit it calls :func:`ring` to enqueue the job at once; if Redis is
down the relay (:func:`relay_pending`, run by the worker's cron) enqueues it later. The job id is
the event id, so arq refuses a duplicate while one is queued; :func:`process` re-checks the
state, so a job that runs twice has its effect once.

Delivery is at-least-once: the relay may enqueue an event again after arq forgot it (Redis
restarted, a job timed out), and arq re-runs the job of a killed worker. :func:`process` is what
makes that safe: a conditional UPDATE claims the event, and the handler's effect commits in the
same transaction as the "done" mark.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import structlog

from backend.core import audit, sql
from backend.core.arq_batch import enqueue_many
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.core.request_context import begin_request
from backend.core.tables import OutboxEvent
from backend.core.views import Page, json_value

log = structlog.get_logger(__name__)

JOB_NAME = "process_outbox_event"
MAX_ATTEMPTS = 8

PENDING, DONE, FAILED = "pending", "done", "failed"
SKIPPED = "skipped"  # what process() returns for a duplicate delivery; never stored


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    topic: str
    payload: dict
    attempts: int


# A handler turns an event into state changes in the database. It runs inside the transaction
# that marks the event done, so its effect and the "done" mark commit together: exactly once.
Handler = Callable[[Event], Awaitable[None]]

# What the running handler asked to do once its transaction has committed (see after_commit).
_after_commit: contextvars.ContextVar[list[Callable[[], Awaitable[Any]]] | None] = contextvars.ContextVar(
    "outbox_after_commit", default=None
)


def after_commit(action: Callable[[], Awaitable[Any]]) -> None:
    """From a handler: run ``action`` (best effort) once the handler's transaction has committed,
    e.g. ring the job that acts on the rows it wrote. Rung inside the transaction, that job could
    run before the commit, find nothing, and have to wait and retry; rolled back, nothing runs."""
    actions = _after_commit.get()
    if actions is None:
        raise RuntimeError("outbox.after_commit() is for handlers run by outbox.process()")
    actions.append(action)


_doorbell: Any = None  # an arq ArqRedis pool, set by the process at start-up


def set_doorbell(redis_pool: Any) -> None:
    global _doorbell
    _doorbell = redis_pool


def doorbell() -> Any:
    """The process's arq pool, or None: domains ring their own jobs on it after commit too."""
    return _doorbell


async def ring_jobs(job_name: str, jobs: Iterable[tuple[str, str, datetime | None]], redis_pool: Any = None) -> int:
    """Best effort: enqueue each ``(argument, job id, due at)`` as a ``job_name`` job, deferred until
    due (None: now); returns how many were new. arq refuses a job id while that job is queued, so a
    domain names each attempt in its ids. Without Redis, or when it fails, nothing is lost: the
    domain's cron finds its due work in the database."""
    pool = redis_pool if redis_pool is not None else _doorbell
    if pool is None:
        return 0
    now, jobs = utcnow(), list(jobs)
    due_now = [(job_id, (argument,)) for argument, job_id, due_at in jobs if due_at is None or due_at <= now]
    deferred = [(argument, job_id, due_at) for argument, job_id, due_at in jobs if due_at is not None and due_at > now]
    new = 0
    try:
        new += await enqueue_many(pool, job_name, due_now)  # one round trip for all of them
        for argument, job_id, due_at in deferred:
            job = await pool.enqueue_job(job_name, argument, _job_id=job_id, _defer_until=due_at)
            new += job is not None
    except Exception as error:  # Redis down: the cron picks these up
        log.warning("outbox.ring_jobs_failed", job=job_name, error=str(error))
    return new


def job_id(event_id: uuid.UUID) -> str:
    return f"outbox:{event_id}"


_INSERT = """INSERT INTO outbox_events (id, topic, payload, status, created_at, enqueued_at, processed_at, attempts, last_error)
VALUES ($1, $2, $3, 'pending', $4, $5, NULL, 0, NULL)"""


def event(topic: str, payload: dict) -> tuple[uuid.UUID, sql.Statement]:
    """An event's id and its INSERT, for a use case that batches its inserts (``sql.defer``)."""
    event_id, now = new_id(), utcnow()
    return event_id, sql.Statement(_INSERT, (event_id, topic, json.dumps(payload), now, None))


async def add(topic: str, payload: dict) -> uuid.UUID:
    """Write an event in the caller's transaction; returns its id for :func:`ring`."""
    event_id, statement = event(topic, payload)
    await sql.run(statement)
    return event_id


_STAMP = "UPDATE outbox_events SET enqueued_at = $1 WHERE status = 'pending' AND id IN ({ids})"


@lru_cache(maxsize=64)
def _stamp_sql(count: int) -> str:
    return _STAMP.format(ids=", ".join(f"${index + 2}" for index in range(count)))


async def _stamp(event_ids: list[uuid.UUID], at: datetime | None) -> None:
    """Set (or, with None, take back) the events' hand-over time, 500 at a time."""
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start : start + 500]
        await sql.fetch(_stamp_sql(len(chunk)), at, *chunk)


async def _enqueue(redis_pool: Any, event_ids: Iterable[uuid.UUID]) -> int:
    """Enqueue each event's job; returns how many were new. A job id whose job is still queued,
    deferred or running (or whose result is kept) is refused, as by arq: that event is in Redis
    too, so it is stamped alike."""
    handed_over = list(event_ids)
    if not handed_over:
        return 0
    # One round trip for the batch (arq's enqueue_job spends three per job: see arq_batch).
    new = await enqueue_many(redis_pool, JOB_NAME, [(job_id(event_id), (str(event_id),)) for event_id in handed_over])
    await _stamp(handed_over, utcnow())
    return int(new)


@dataclass
class _Rings:
    """Rings of one event loop: those waiting for the next round, and the task ringing rounds."""

    waiting: list[tuple[list[uuid.UUID], asyncio.Future]] = field(default_factory=list)
    ringer: asyncio.Task | None = None


_rings: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Rings] = weakref.WeakKeyDictionary()


async def ring(event_ids: Iterable[uuid.UUID]) -> None:
    """Best effort, after commit: a failure here only delays the event until the relay runs.

    Returns once the events are in Redis and stamped (or the attempt failed). Rings that come while
    one is under way go out together in the next round: one script and one UPDATE for all of them,
    instead of a round trip of each per request."""
    event_ids = list(event_ids)
    if not event_ids:
        return
    if _doorbell is None:
        return
    loop = asyncio.get_running_loop()
    rings = _rings.setdefault(loop, _Rings())
    rung = loop.create_future()
    rings.waiting.append((event_ids, rung))
    if rings.ringer is None:
        # A context of its own: the caller's (its request id, a transaction it might be in) is not the ringer's.
        rings.ringer = loop.create_task(_ring_rounds(rings), context=contextvars.Context())
    await asyncio.shield(rung)


async def _ring_rounds(rings: _Rings) -> None:
    round_: list[tuple[list[uuid.UUID], asyncio.Future]] = []
    try:
        while rings.waiting:
            round_, rings.waiting = rings.waiting, []
            event_ids = [event_id for ids, _ in round_ for event_id in ids]
            try:
                await _enqueue(_doorbell, event_ids)
            except Exception as error:  # Redis down: the relay will pick these up
                log.warning("outbox.ring_failed", error=str(error), events=len(event_ids))
            _answer(round_)
    finally:
        rings.ringer = None
        # Anyone still waiting here means this task was cancelled: let no caller wait forever.
        _answer(round_ + rings.waiting)
        rings.waiting = []


def _answer(rings: list[tuple[list[uuid.UUID], asyncio.Future]]) -> None:
    for _, rung in rings:
        if not rung.done():
            rung.set_result(None)


async def relay_pending(redis_pool: Any, stale_after: timedelta, batch: int = 500) -> int:
    """Enqueue pending events never enqueued, or enqueued longer ago than ``stale_after``.

    Works through the backlog batch by batch (after a long Redis outage there may be many); each
    batch is stamped ``enqueued_at`` = now, later than the cutoff, so the loop ends. Returns the
    number of jobs newly enqueued."""
    cutoff = utcnow() - stale_after
    new = 0
    while True:
        rows = (
            await OutboxEvent.select(OutboxEvent.id)
            .where(OutboxEvent.status == PENDING)
            .where((OutboxEvent.enqueued_at.is_null()) | (OutboxEvent.enqueued_at < cutoff))
            .order_by(OutboxEvent.id)
            .limit(batch)
        )
        new += await _enqueue(redis_pool, [row["id"] for row in rows])
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
    begin_request(f"outbox-{event_id.hex}")  # logs and audit entries of this event's work share its id
    deadline: asyncio.Timeout | None = None
    actions: list[Callable[[], Awaitable[Any]]] = []
    token = _after_commit.set(actions)
    try:
        async with write_transaction():
            claimed = (
                await OutboxEvent.update({OutboxEvent.status: DONE, OutboxEvent.processed_at: utcnow()})
                .where(OutboxEvent.id == event_id, OutboxEvent.status == PENDING)
                .returning(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.payload, OutboxEvent.attempts)
            )
            if not claimed:
                return SKIPPED  # already done or failed: a duplicate delivery of the job
            row = claimed[0]
            handler = handlers.get(row["topic"])
            if handler is None:
                raise NoHandler(f"no handler for topic {row['topic']!r} in this worker")
            payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
            # The limit covers the handler only, inside the transaction, whose exit then rolls back
            # and closes the connection in order: waiting for the claim is not the handler's time.
            async with (deadline := asyncio.timeout(time_limit)):
                await handler(Event(id=event_id, topic=row["topic"], payload=payload, attempts=row["attempts"]))
    except Exception as error:
        timed_out = deadline is not None and deadline.expired()
        reason = f"timed out after {time_limit:g}s" if timed_out else f"{type(error).__name__}: {error}"
        attempts = await _record_failure(event_id, reason, max_attempts)
        if attempts is None:
            return SKIPPED  # a duplicate delivery finished the event meanwhile
        if attempts >= max_attempts:
            log.error("outbox.event_failed", event_id=str(event_id), attempts=attempts, error=reason)
            return FAILED
        log.warning("outbox.attempt_failed", event_id=str(event_id), attempts=attempts, error=reason)
        raise RetryLater(attempts) from error
    finally:
        _after_commit.reset(token)
    for action in actions:  # committed: the event is done whatever happens here
        try:
            await action()
        except Exception as error:
            log.warning("outbox.after_commit_failed", event_id=str(event_id), error=f"{type(error).__name__}: {error}")
    return DONE


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


# ---------------------------------------------------------------- failed events: list and replay

STATUSES = (PENDING, DONE, FAILED)
REPLAY_CHUNK = 500  # events replayed per transaction by a replay of every failed event


@dataclass(frozen=True)
class EventView:
    id: uuid.UUID
    topic: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    processed_at: datetime | None
    payload: dict


def _event_view(row: Mapping[str, Any]) -> EventView:
    return EventView(
        id=row["id"],
        topic=row["topic"],
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        processed_at=row["processed_at"],
        payload=json_value(row["payload"]),
    )


async def list_events(actor: Actor, status: str | None = FAILED, *, offset: int = 0, limit: int = 50) -> Page:
    """The outbox's events, newest first; by default those parked as failed (the worker gave up on
    them after ``MAX_ATTEMPTS``: they wait for :func:`replay`)."""
    actor.require(Permission.OUTBOX_MANAGE)
    if status is not None and status not in STATUSES:
        raise DomainError.single("STATUS_INVALID", f"status must be one of {', '.join(STATUSES)}", "status")
    query, count = OutboxEvent.select(), OutboxEvent.count()
    if status is not None:
        query, count = query.where(OutboxEvent.status == status), count.where(OutboxEvent.status == status)
    rows = await query.order_by(OutboxEvent.id, ascending=False).offset(max(offset, 0)).limit(max(min(limit, 500), 1))
    return Page(rows=[_event_view(row) for row in rows], total=await count)


@dataclass(frozen=True)
class Replayed:
    """What :func:`replay` put back in the queue."""

    event_ids: list[uuid.UUID]


_REPLAY = """UPDATE outbox_events SET status = 'pending', attempts = 0, last_error = NULL, processed_at = NULL,
    enqueued_at = NULL WHERE status = 'failed' AND id IN ({ids})
RETURNING id, topic, status, attempts, last_error, created_at, processed_at, payload"""
_FAILED_BEFORE = "SELECT id, topic, status, attempts, last_error FROM outbox_events WHERE status = 'failed' AND id IN ({ids})"
_STATUS_OF = "SELECT id, status FROM outbox_events WHERE id IN ({ids})"
_OLDEST_FAILED = "SELECT id FROM outbox_events WHERE status = 'failed' ORDER BY id LIMIT $1"


def _placeholders(count: int) -> str:
    return ", ".join(f"${index + 1}" for index in range(count))


async def replay(actor: Actor, event_ids: Iterable[uuid.UUID] | None = None, *, all_failed: bool = False) -> Replayed:
    """Give failed events another round of attempts: each goes back to pending with its attempt
    count reset, is audited (``outbox_event.replayed``: its failure before, who asked), and is
    rung after the commit (or relayed by the worker's next tick if Redis is away). The console
    page and ``mirabelle outbox replay`` both come here.

    ``event_ids``: exactly these, all or none: an unknown id, or one that is not failed (pending,
    done, or replayed meanwhile by someone else), refuses the whole call and changes nothing.
    ``all_failed``: every failed event, ``REPLAY_CHUNK`` per transaction."""
    actor.require(Permission.OUTBOX_MANAGE)
    if all_failed == (event_ids is not None):
        raise DomainError.single("REPLAY_INVALID", "name the events to replay, or ask for all failed ones", "event_ids")
    if not all_failed:
        wanted = list(dict.fromkeys(event_ids))
        if not wanted:
            raise DomainError.single("REPLAY_INVALID", "name at least one event to replay", "event_ids")
        replayed: list[uuid.UUID] = []
        for start in range(0, len(wanted), REPLAY_CHUNK):
            replayed += await _replay_chunk(actor, wanted[start : start + REPLAY_CHUNK], exactly=True)
        return Replayed(replayed)
    replayed = []
    while True:
        chunk = [row["id"] for row in await sql.fetch(_OLDEST_FAILED, REPLAY_CHUNK)]
        if not chunk:
            return Replayed(replayed)
        replayed += await _replay_chunk(actor, chunk, exactly=False)


async def _replay_chunk(actor: Actor, event_ids: list[uuid.UUID], *, exactly: bool) -> list[uuid.UUID]:
    ids = _placeholders(len(event_ids))
    async with write_transaction():
        before = {row["id"]: row for row in await sql.fetch(_FAILED_BEFORE.format(ids=ids), *event_ids)}
        rows = await sql.fetch(_REPLAY.format(ids=ids), *event_ids)
        if exactly and len(rows) != len(event_ids):
            raise await _not_replayable(event_ids, {row["id"] for row in rows})  # leaving the block rolls back
        for row in rows:
            was = before[row["id"]]
            await audit.record(
                actor,
                "outbox_event.replayed",
                "outbox_event",
                row["id"],
                before={"status": was["status"], "attempts": was["attempts"], "last_error": was["last_error"]},
                after={"status": PENDING, "attempts": 0, "topic": row["topic"]},
            )
    replayed = [row["id"] for row in rows]
    await ring(replayed)
    return replayed


async def _not_replayable(event_ids: list[uuid.UUID], replayed: set[uuid.UUID]) -> DomainError:
    rows = await sql.fetch(_STATUS_OF.format(ids=_placeholders(len(event_ids))), *event_ids)
    status = {row["id"]: row["status"] for row in rows}
    items = []
    for event_id in event_ids:
        if event_id in replayed:
            continue
        if event_id not in status:
            items.append(FieldError("event_ids", "EVENT_NOT_FOUND", f"event {event_id} does not exist"))
        else:
            items.append(FieldError("event_ids", "EVENT_NOT_FAILED", f"event {event_id} is {status[event_id]}, not failed"))
    return DomainError(items)


async def counts() -> dict[str, int]:
    rows = await OutboxEvent.select(OutboxEvent.status, OutboxEvent.id.count().as_alias("n")).group_by(OutboxEvent.status)
    return {row["status"]: row["n"] for row in rows}


async def open_doorbell(redis_url: str) -> Any:
    """Give the process its doorbell (an arq client); used by the api and the console.

    The client connects on first use and reconnects after an outage, so a process started while
    Redis is down rings again once it is back; meanwhile :func:`ring` fails fast (short timeouts)
    and the relay catches up."""
    from arq.connections import ArqRedis

    pool = ArqRedis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
    set_doorbell(pool)
    return pool
