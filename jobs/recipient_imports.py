"""Recipient import jobs: checking a received file and applying a reviewed one, a run at a time.

The console writes ``recipient_import.received`` (or ``.applying``) with the import; the handler
enqueues the first run. A run works until its time budget (half the job timeout) is spent, commits
its progress with each batch, and enqueues the next run, whose job id carries the progress
(``recipient-import:<id>:<step>:<rows done>``) so a copy of a queued run is refused by arq. The
cron rings the job again for an import that has not moved for ``STALLED_AFTER``."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.cron import cron
from arq.worker import Retry, func

from backend.core import outbox
from backend.core.authz import Actor, ActorKind
from backend.core.db_errors import is_transient
from backend.core.outbox import Event
from backend.core.request_context import begin_request
from backend.recipients.imports import applying, checking, reading, receiving
from backend.recipients.imports.views import APPLYING, CHECKING, ImportView
from jobs.handback import hands_back_when_cancelled
from jobs.uploads import BUDGET_KEY, MAX_TRIES, STALLED_AFTER

log = structlog.get_logger(__name__)

CHECK_JOB = "check_recipient_import"
APPLY_JOB = "apply_recipient_import"


async def enqueue_next(redis: Any, record: ImportView) -> bool:
    """Enqueue the next run of a checking or applying import; False when it is queued already."""
    if redis is None:
        raise RuntimeError("no Redis to enqueue the import's job on")
    if record.status == CHECKING:
        job, step = CHECK_JOB, "check"
    elif record.status == APPLYING:
        job, step = APPLY_JOB, "apply"
    else:
        return False
    job_id = f"recipient-import:{record.id}:{step}:{record.progress_done}"
    return await redis.enqueue_job(job, str(record.id), _job_id=job_id) is not None


async def on_import_event(event: Event) -> None:
    await enqueue_next(outbox.doorbell(), await receiving.load_import(uuid.UUID(event.payload["import_id"])))


HANDLERS = {receiving.IMPORT_RECEIVED: on_import_event, applying.IMPORT_APPLYING: on_import_event}


def _worker_for(record: ImportView) -> Actor:
    return Actor(kind=ActorKind.SYSTEM, id=None, label=f"worker, for {record.requested_by_label}")


async def _run(ctx: dict[str, Any], import_id: str, step) -> str:
    begin_request(f"recipient-import-{uuid.UUID(import_id).hex}")
    try:
        record = await receiving.load_import(uuid.UUID(import_id))
        after = await step(_worker_for(record), record.id, time_budget=ctx.get(BUDGET_KEY, 10.0))
    except Exception as error:
        if not is_transient(error):
            raise
        raise Retry(defer=min(2 ** ctx.get("job_try", 1), 30)) from error
    log.info("recipient_import.progress", import_id=import_id, done=after.progress_done, status=after.status)
    await enqueue_next(ctx["redis"], after)
    return after.status


@hands_back_when_cancelled
async def check_recipient_import(ctx: dict[str, Any], import_id: str) -> str:
    return await _run(ctx, import_id, checking.check_import)


@hands_back_when_cancelled
async def apply_recipient_import(ctx: dict[str, Any], import_id: str) -> str:
    return await _run(ctx, import_id, applying.run_apply)


async def resume_stalled_imports(ctx: dict[str, Any]) -> int:
    """Ring again the jobs of imports checking or applying that stopped moving."""
    rung = 0
    for record in await reading.stalled_imports(STALLED_AFTER):
        rung += await enqueue_next(ctx["redis"], record)
    if rung:
        log.info("recipient_import.resumed", imports=rung)
    return rung


def job_functions(timeout: int) -> list:
    return [
        func(check_recipient_import, name=CHECK_JOB, timeout=timeout, keep_result=0, max_tries=MAX_TRIES),
        func(apply_recipient_import, name=APPLY_JOB, timeout=timeout, keep_result=0, max_tries=MAX_TRIES),
    ]


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [cron(resume_stalled_imports, run_at_startup=True, timeout=timeout, **schedule)]
