"""Ringing: after commit, the events' jobs are enqueued on Redis (the doorbell) at once, in rounds; and a handler's after-commit actions."""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import structlog

from backend.core import sql
from backend.core.arq_batch import enqueue_many
from backend.core.clock import utcnow
from backend.core.outbox.events import JOB_NAME, batch_job_id

log = structlog.get_logger("backend.core.outbox")


# What the running handler asked to do once its transaction has committed (see after_commit).
after_commit_actions: contextvars.ContextVar[list[Callable[[], Awaitable[Any]]] | None] = contextvars.ContextVar(
    "outbox_after_commit", default=None
)


def after_commit(action: Callable[[], Awaitable[Any]]) -> None:
    """From a handler: run ``action`` (best effort) once the handler's transaction has committed,
    e.g. ring the job that acts on the rows it wrote. Rung inside the transaction, that job could
    run before the commit, find nothing, and have to wait and retry; rolled back, nothing runs."""
    actions = after_commit_actions.get()
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


# A wake published this recently on a channel already covers work committed now: a sender claims no
# sooner than its gathering pause (jobs/senders.py, 100 ms) after hearing one.
WAKE_COALESCE_SECONDS = 0.02
_last_wakes: dict[str, float] = {}


async def wake(channel: str, redis_pool: Any = None) -> None:
    """Best effort, after commit: tell the workers' senders listening on ``channel`` (Redis pub/sub)
    that work is due now. Without Redis nothing is lost: each sender also looks in the database
    every second or so."""
    pool = redis_pool if redis_pool is not None else _doorbell
    now = time.monotonic()
    if pool is None or now - _last_wakes.get(channel, -1.0) < WAKE_COALESCE_SECONDS:
        return
    _last_wakes[channel] = now
    try:
        await pool.publish(channel, b"1")
    except Exception:  # noqa: BLE001 - Redis away: the senders' own look finds the work
        return


_STAMP = "UPDATE outbox_events SET enqueued_at = $1 WHERE status = 'pending' AND id IN ({ids})"


@lru_cache(maxsize=64)
def _stamp_sql(count: int) -> str:
    return _STAMP.format(ids=", ".join(f"${index + 2}" for index in range(count)))


async def _stamp(event_ids: list[uuid.UUID], at: datetime | None) -> None:
    """Set (or, with None, take back) the events' hand-over time, 500 at a time."""
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start : start + 500]
        await sql.fetch(_stamp_sql(len(chunk)), at, *chunk)


# Events per job: one job's transaction claims and handles them together (processing.process_batch),
# so a job's own cost (arq's round trips, a transaction) is shared; a batch that fails hands each
# of its events to a job of its own. Small enough for one transaction to stay short.
EVENTS_PER_JOB = 100


async def enqueue_events(redis_pool: Any, event_ids: Iterable[uuid.UUID], per_job: int = EVENTS_PER_JOB) -> int:
    """Enqueue jobs for the events, ``per_job`` at most in each; returns how many jobs were new.
    A job id whose job is still queued, deferred or running (or whose result is kept) is refused,
    as by arq: those events are in Redis too, so they are stamped alike. A single event's job is
    named after it (``job_id``): the relay cannot enqueue a second copy of it while it waits for a
    retry."""
    handed_over = list(event_ids)
    if not handed_over:
        return 0
    chunks = [handed_over[start : start + per_job] for start in range(0, len(handed_over), per_job)]
    # One round trip for the batch (arq's enqueue_job spends three per job: see arq_batch).
    jobs = [(batch_job_id(chunk), tuple(str(event_id) for event_id in chunk)) for chunk in chunks]
    new = await enqueue_many(redis_pool, JOB_NAME, jobs)
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
                await enqueue_events(_doorbell, event_ids)
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


async def open_doorbell(redis_url: str) -> Any:
    """Give the process its doorbell (an arq client); used by the api and the console.

    The client connects on first use and reconnects after an outage, so a process started while
    Redis is down rings again once it is back; meanwhile :func:`ring` fails fast (short timeouts)
    and the relay catches up."""
    from arq.connections import ArqRedis

    pool = ArqRedis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
    set_doorbell(pool)
    return pool
