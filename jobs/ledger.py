"""Ledger jobs: the sweep that voids reservations whose timeout has passed.

A thin adapter over backend.ledger; the rules (and the exactly-once close) live there. Running
on several workers at once is harmless: each reservation is closed by one conditional UPDATE.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from arq.cron import cron

from backend.ledger import services as ledger

log = structlog.get_logger(__name__)

SWEEP_BATCH = 200


async def expire_reservations(ctx: dict[str, Any], time_budget: float = 20.0) -> int:
    """Void due reservations batch by batch until none are left or ``time_budget`` seconds have
    gone (keep it under the job timeout; the next tick carries on). Returns how many it voided."""
    deadline = time.monotonic() + time_budget
    total = 0
    while True:
        expired = await ledger.expire_due(batch=SWEEP_BATCH)
        total += expired
        if expired < SWEEP_BATCH or time.monotonic() >= deadline:
            break
    if total:
        log.info("ledger.reservations_expired", count=total)
    return total


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    """The sweep on ``schedule`` (arq cron fields, e.g. ``relay_schedule(settings.ledger_expiry_sweep_seconds)``)."""
    return [cron(expire_reservations, run_at_startup=True, timeout=timeout, **schedule)]
