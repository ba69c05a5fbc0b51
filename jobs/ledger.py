"""Ledger jobs: the sweep that voids reservations whose timeout has passed.

The sweep is a task of the worker process, beside arq's jobs, not an arq cron job: arq enqueues a
cron job only when its poll loop comes round, and that loop waits for a free job slot for each
job it has read from the queue (up to 100), after which the cron job still queues behind the
backlog. Under load (issue 15) a sweep set to every 10 s ran every 45–50 s, and lapsed points
stayed held for up to 52 s. Its own task runs on time whatever the job slots are doing, and is
bounded: batches of ``SWEEP_BATCH`` for at most ``TIME_BUDGET_S`` a round.

A thin adapter over backend.ledger; the rules (and the exactly-once close) live there. Several
workers sweeping at once is harmless: each reservation is closed by one conditional UPDATE.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from typing import Any

import structlog

from backend.core.request_context import begin_request
from backend.ledger import services as ledger

log = structlog.get_logger(__name__)

SWEEP_BATCH = 200
TIME_BUDGET_S = 20.0  # a round's bound; what is left goes on at once in the next round
SWEEPER = "ledger_expiry_sweeper"  # the task, in the worker's ctx
EVERY = "ledger_expiry_sweep_seconds"  # its interval, in the worker's ctx


async def expire_reservations(time_budget: float = TIME_BUDGET_S) -> tuple[int, bool]:
    """Void due reservations batch by batch until none are left or ``time_budget`` seconds have
    gone. Returns how many it voided and whether more may be due."""
    deadline = time.monotonic() + time_budget
    total = 0
    while True:
        expired = await ledger.expire_due(batch=SWEEP_BATCH)
        total += expired
        if expired < SWEEP_BATCH:
            return total, False
        if time.monotonic() >= deadline:
            return total, True


async def sweep_forever(every_seconds: float) -> None:
    """A round of :func:`expire_reservations` every ``every_seconds`` (at once again while a
    backlog remains), until cancelled. A failed round (the database away) is logged and retried
    at the next one."""
    while True:
        started = time.monotonic()
        more = False
        try:
            begin_request(f"ledger-sweep-{int(time.time())}")  # the round's audit entries and logs share an id
            expired, more = await expire_reservations()
            if expired:
                log.info("ledger.reservations_expired", count=expired)
        except Exception as error:
            log.warning("ledger.sweep_failed", error=f"{type(error).__name__}: {error}")
        if not more:
            await asyncio.sleep(max(0.0, every_seconds - (time.monotonic() - started)))


def start_sweeper(ctx: dict[str, Any]) -> None:
    """Start the sweep as a task of the worker process (its ``on_startup``)."""
    if ctx.get(SWEEPER) is None:
        ctx[SWEEPER] = asyncio.create_task(sweep_forever(ctx[EVERY]), name="ledger-expiry-sweep")


async def stop_sweeper(ctx: dict[str, Any]) -> None:
    """Cancel the sweep (its ``on_shutdown``; safe to call twice): a round cut short rolls back."""
    task = ctx.pop(SWEEPER, None)
    if task is not None:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
