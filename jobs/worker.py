"""The arq worker (`mirabelle worker`): runs the handlers of outbox events and relays pending events.

Redis is only the doorbell (DESIGN.md, rule 2): every job re-reads the database, a cron relays what
Redis lost, and :func:`backend.core.outbox.process` makes a second run of a job harmless.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import Retry, Worker, func
from redis.exceptions import RedisError

from backend.core import outbox
from backend.core.backoff import Backoff
from backend.core.db import close_pool, current_engine, start_pool
from backend.core.http_client import close_shared_client
from backend.core.logging import configure_logging
from backend.core.settings import Settings, SettingsError, get_settings
from backend.deliveries.policy import SendingPolicy
from backend.webhooks.policy import DeliveryPolicy
from jobs import announcements as announcement_jobs
from jobs import deliveries as delivery_jobs
from jobs import insight_reviews as insight_review_jobs
from jobs import insights as insight_jobs
from jobs import ledger as ledger_jobs
from jobs import recipient_imports as import_jobs
from jobs import senders, webhooks
from jobs import tickets as ticket_jobs
from jobs import uploads as upload_jobs
from jobs.handback import INTERRUPTED, hand_back, hands_back_when_cancelled
from jobs.outbox import registered_handlers

log = structlog.get_logger(__name__)

NO_REDIS = "MIRABELLE_REDIS_URL is not set; `mirabelle up` starts an embedded Redis"

# arq counts every run of a job, including runs cut short by a killed worker or arq's own timeout,
# which process() never sees; a few spare tries keep arq from giving up before process() parks the
# event as failed. (If arq does give up, the event is still pending and the relay brings it back.)
SPARE_ARQ_TRIES = 3

RECONNECT_FIRST_S, RECONNECT_MAX_S = 1.0, 30.0  # waiting out a Redis outage


class QuietTicks(logging.Filter):
    """arq logs the start and the end of every job at INFO, the crons' ticks included: two lines per
    cron per tick (four crons, each second in tests, every 10 s by default), nearly all of them
    saying that nothing happened; and a health line whenever the tick counts changed. These go to
    DEBUG. Each cron logs the work it did itself, at INFO; jobs that do work, and problems (retries,
    failures, warnings), keep arq's level."""

    _TICK_TEMPLATES = ("%6.2fs → %s(%s)%s", "%6.2fs ← %s ● %s")  # arq.worker's start and end lines

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and self._is_routine(record):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)  # the level check came before
        return True

    def _is_routine(self, record: logging.LogRecord) -> bool:
        if record.msg in self._TICK_TEMPLATES:
            return isinstance(record.args, tuple) and str(record.args[1]).startswith("cron:")
        return isinstance(record.msg, str) and record.msg.startswith("recording health")


QUIET_TICKS = QuietTicks()


@dataclass(frozen=True)
class OutboxPolicy:
    """What the outbox jobs need; carried in the worker's ``ctx``."""

    handlers: Mapping[str, outbox.Handler]
    backoff: Backoff
    max_attempts: int
    time_limit: float  # the handler's own deadline, inside arq's job timeout
    stale_after: timedelta


@hands_back_when_cancelled
async def process_outbox_event(ctx: dict[str, Any], *event_ids: str) -> str:
    """A job of one event (its failures counted, retried with backoff) or of several (one
    transaction for all; if it fails, each event is handed to a job of its own)."""
    policy: OutboxPolicy = ctx["outbox"]
    ids = [uuid.UUID(event_id) for event_id in event_ids]
    if len(ids) > 1:
        processed = await outbox.process_batch(ids, policy.handlers, time_limit=policy.time_limit)
        if processed.handed_over:  # Redis away: the relay finds them once they are stale
            await outbox.enqueue_events(ctx["redis"], processed.handed_over, per_job=1)
        return f"{processed.done} done, {processed.skipped} skipped, {len(processed.handed_over)} handed over"
    try:
        return await outbox.process(ids[0], policy.handlers, max_attempts=policy.max_attempts, time_limit=policy.time_limit)
    except outbox.RetryLater as retry:
        # arq keeps the same job (same id, job key kept) and runs it after the delay, so the relay
        # cannot enqueue a second copy meanwhile.
        raise Retry(defer=policy.backoff.delay(retry.attempts)) from retry


async def relay_outbox(ctx: dict[str, Any]) -> int:
    relayed = await outbox.relay_pending(ctx["redis"], ctx["outbox"].stale_after)
    if relayed:
        log.info("outbox.relayed", jobs=relayed)
    return relayed


def relay_schedule(every_seconds: int) -> dict[str, Any]:
    """arq cron fields firing every ``every_seconds``, aligned to the clock: every worker computes
    the same run times, so arq's unique cron job id lets one worker relay per tick. An interval
    that does not divide the minute (or hour) leaves one shorter gap at the turn."""
    if every_seconds < 60:
        return {"second": set(range(0, 60, every_seconds))}
    if every_seconds < 3600:
        return {"second": 0, "minute": set(range(0, 60, every_seconds // 60))}
    return {"second": 0, "minute": 0}


async def on_startup(ctx: dict[str, Any]) -> None:
    engine = current_engine()
    ctx["db_pool_was_open"] = getattr(engine, "pool", None) is not None
    await start_pool(engine)
    outbox.set_doorbell(ctx["redis"])  # events written by handlers ring on the worker's own Redis
    ledger_jobs.start_sweeper(ctx)
    senders.start_senders(ctx, ctx[delivery_jobs.POLICY_KEY], ctx[webhooks.POLICY_KEY])
    ctx["ready"] = True
    log.info("worker.ready", topics=sorted(ctx["outbox"].handlers))


async def on_shutdown(ctx: dict[str, Any]) -> None:
    await ledger_jobs.stop_sweeper(ctx)
    await senders.stop_senders(ctx)
    outbox.set_doorbell(None)
    if not ctx.get("db_pool_was_open", True):  # close only the pool this worker opened
        await close_pool()


def _refuse_twins(jobs: list) -> None:
    """arq keys jobs by name and keeps the last of two with one name: a wiring mistake (two domains'
    crons named alike), refused at start-up rather than one silently never running."""
    names = [job.name for job in jobs]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"two worker jobs are named {', '.join(twice)}: give each its own name")


def build_worker_settings(
    handlers: Mapping[str, outbox.Handler] | None = None,
    *,
    settings: Settings | None = None,
    backoff: Backoff = Backoff(),
    max_attempts: int = outbox.MAX_ATTEMPTS,
    webhook_policy: DeliveryPolicy | None = None,
    sending_policy: SendingPolicy | None = None,
    **worker_options: Any,
) -> dict[str, Any]:
    """The keyword arguments of arq's ``Worker``. ``handlers`` defaults to the domain job modules'
    topics (jobs/outbox.py); tests pass their own. ``worker_options`` override arq's defaults."""
    settings = settings or get_settings()
    if not settings.redis_url:
        raise SettingsError(NO_REDIS)
    timeout = settings.job_timeout_seconds
    policy = OutboxPolicy(
        handlers=registered_handlers() if handlers is None else dict(handlers),
        backoff=backoff,
        max_attempts=max_attempts,
        time_limit=timeout * 0.8,
        stale_after=timedelta(seconds=settings.outbox_stale_seconds),
    )
    functions = [
        func(
            process_outbox_event,
            name=outbox.JOB_NAME,
            timeout=timeout,
            keep_result=0,
            max_tries=max_attempts + SPARE_ARQ_TRIES,
        ),
        *webhooks.job_functions(timeout),
        *delivery_jobs.job_functions(timeout),
        *upload_jobs.job_functions(timeout),
        *import_jobs.job_functions(timeout),
        *announcement_jobs.job_functions(timeout),
    ]
    cron_jobs = [
        cron(relay_outbox, run_at_startup=True, timeout=timeout, **relay_schedule(settings.outbox_relay_seconds)),
        *webhooks.cron_jobs(relay_schedule(settings.outbox_relay_seconds), timeout),
        *upload_jobs.cron_jobs(relay_schedule(settings.outbox_relay_seconds), timeout),
        *delivery_jobs.cron_jobs(relay_schedule(settings.outbox_relay_seconds), timeout),
        *ticket_jobs.cron_jobs(relay_schedule(settings.outbox_relay_seconds), timeout),
        *import_jobs.cron_jobs(relay_schedule(settings.outbox_relay_seconds), timeout),
        *insight_jobs.cron_jobs(relay_schedule(settings.outbox_relay_seconds), timeout),
        *insight_review_jobs.cron_jobs(timeout),
        *announcement_jobs.cron_jobs(relay_schedule(settings.outbox_relay_seconds), timeout),
    ]
    _refuse_twins([*functions, *cron_jobs])
    return {
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        # keep_result=0: a kept result key makes arq refuse the same job id, and the relay must be
        # able to enqueue an event again. A killed worker's job re-runs once its in-progress key
        # expires, i.e. after the longest timeout + 10 s: another reason to keep timeouts short.
        "functions": functions,
        "cron_jobs": cron_jobs,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "ctx": {
            "outbox": policy,
            webhooks.POLICY_KEY: webhook_policy or DeliveryPolicy(),
            delivery_jobs.POLICY_KEY: sending_policy or SendingPolicy(),
            upload_jobs.BUDGET_KEY: timeout / 2,  # a run of an upload job stops there and enqueues the next
            INTERRUPTED: set(),
            # The expiry sweep is the worker's own task, not a cron job: see jobs/ledger.py.
            ledger_jobs.EVERY: settings.ledger_expiry_sweep_seconds,
        },
        "job_timeout": timeout,
        "max_jobs": settings.worker_max_jobs,
        # Also for jobs arq fails by itself (expired, unknown function, too many tries), whose
        # results follow the worker's default rather than the function's.
        "keep_result": 0,
        "max_tries": max_attempts + SPARE_ARQ_TRIES,
        "health_check_interval": 60,
        **worker_options,
    }


def run_worker(handlers: Mapping[str, outbox.Handler] | None = None, **worker_options: Any) -> None:
    """`mirabelle worker`: run until SIGINT or SIGTERM. Running jobs are then cancelled: their
    transactions roll back and arq puts them back on the queue for the next worker."""
    try:
        build_worker_settings(handlers, **worker_options)  # refuse to start on a bad configuration
    except SettingsError as error:
        raise SystemExit(f"mirabelle worker: {error}") from None
    settings = worker_options.get("settings") or get_settings()
    configure_logging(settings.log_level, settings.log_json)  # before arq logs its start-up lines
    logging.getLogger("arq.worker").addFilter(QUIET_TICKS)
    # The runner sets its loop as the current one (arq's Worker takes it and sets its signal
    # handlers on it) and, on leaving, cancels and awaits any task still running, as asyncio.run does.
    with asyncio.Runner() as runner:
        runner.run(serve(handlers, **worker_options))


async def wind_down(worker: Worker) -> None:
    """After arq's close(): wait until every job the stop cancelled has finished unwinding, stop the
    expiry sweeper and hand the interrupted jobs back. close() gathers the jobs without
    ``return_exceptions``, so it returns at the first cancelled job while the others are still
    rolling back (and then skips on_shutdown): handing back before they note themselves would leave
    their in-progress keys to expire, and a job or sweeper still holding a database connection
    keeps a pool open, or with SQLite (a thread per connection) the process alive."""
    pending = [task for task in worker.tasks.values() if not task.done()]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    await ledger_jobs.stop_sweeper(worker.ctx)
    await senders.stop_senders(worker.ctx)
    await hand_back(worker)


async def serve(handlers: Mapping[str, outbox.Handler] | None = None, **worker_options: Any) -> None:
    """Run arq workers until a signal. An arq worker stops when Redis goes away; once it has been
    ready, a lost Redis is an outage to wait out (retrying with backoff), not a reason to exit:
    nothing is lost meanwhile, and the relay re-enqueues what Redis forgot once it is back.
    Redis unreachable at start-up is more likely a wrong URL, and stops the process."""
    stop = asyncio.Event()
    ever_ready, delay = False, RECONNECT_FIRST_S
    try:
        while not stop.is_set():
            worker = Worker(**build_worker_settings(handlers, **worker_options))  # fresh cron state: relays at start-up
            worker.on_stop = lambda signum: stop.set()  # arq's own SIGINT/SIGTERM handler calls this
            lost: RedisError | None = None
            try:
                await worker.async_run()
            except asyncio.CancelledError:
                if not stop.is_set():
                    raise
            except RedisError as error:
                lost = error
            finally:
                # close() talks to Redis, which may be gone, and passes on the cancellation of a job
                # that the signal caught while arq was recording its end (the job just runs again).
                with suppress(RedisError, asyncio.CancelledError):
                    await worker.close()
                await wind_down(worker)
            if lost is None:
                return  # stopped by a signal (or a burst run finished)
            if worker.ctx.get("ready"):
                ever_ready, delay = True, RECONNECT_FIRST_S  # it was serving: a fresh outage
            elif not ever_ready:
                redis = worker.redis_settings
                raise SystemExit(f"mirabelle worker: cannot reach Redis at {redis.host}:{redis.port}: {lost}")
            log.warning("worker.redis_lost", error=str(lost), retry_in_s=delay)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, RECONNECT_MAX_S)
    finally:
        outbox.set_doorbell(None)
        await close_shared_client()
        await close_pool()  # on_shutdown is skipped when close() fails
        log.info("worker.stopped")
