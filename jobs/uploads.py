"""Upload jobs: validating a received file, and issuing an approved upload, a run of rows at a time.

Receiving a file (the api, the console) writes a ``reward_upload.received`` outbox event; its handler
enqueues ``validate_upload``, which stages the rows batch by batch with the upload's progress and,
past its time budget, enqueues the next run (``upload:<id>:validate:<rows staged>``) that resumes
after the last row staged.

Approving an upload writes a ``reward_upload.approved`` outbox event with the decision; its handler
enqueues the first ``issue_upload`` job. A run issues rows until its time budget (half the job
timeout) is spent, commits each chunk's outcomes and the upload's progress, and enqueues the next
run. Every run re-reads what is left (rows without an outcome), and a row issued but not recorded
is replayed by its idempotency key, so a second copy of a run, or a run of a killed worker done
again, issues nothing twice.

A run's job id is the upload's id and progress (``upload:<id>:issue:<rows decided>``): a copy
enqueued while the run is queued or running (the cron below, the outbox handler delivered twice)
is refused by arq. The cron rings the job again for an approved upload that has not moved for
``STALLED_AFTER`` (Redis lost the job, or arq gave up on it)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import structlog
from arq.cron import cron
from arq.worker import Retry, func

from backend.core import outbox
from backend.core.authz import Actor, ActorKind
from backend.core.db_errors import is_transient
from backend.core.errors import DomainError
from backend.core.outbox import Event
from backend.core.request_context import begin_request
from backend.rewards.uploads.services import approval, staging
from backend.rewards.uploads.views import APPROVED, VALIDATING, UploadView
from jobs.handback import hands_back_when_cancelled

log = structlog.get_logger(__name__)

ISSUE_JOB = "issue_upload"
VALIDATE_JOB = "validate_upload"
BUDGET_KEY = "upload_run_seconds"  # ctx: how long one run may work (half the job timeout)
STALLED_AFTER = timedelta(seconds=60)  # no progress for this long: the job is lost, ring it again
MAX_TRIES = 8  # a lost database: runs again after 1, 2, 4 … s; then the cron takes over


async def enqueue_next(redis: Any, upload: UploadView) -> bool:
    """Enqueue the next run of a validating or approved upload; False when that run is already
    queued or running (its job id is the upload's id, step and progress)."""
    if redis is None:
        raise RuntimeError("no Redis to enqueue the upload's job on")
    if upload.status == VALIDATING:
        job, job_id = VALIDATE_JOB, f"upload:{upload.id}:validate:{upload.rows_total}"
    elif upload.status == APPROVED:
        job, job_id = ISSUE_JOB, f"upload:{upload.id}:issue:{upload.progress_done}"
    else:
        return False
    return await redis.enqueue_job(job, str(upload.id), _job_id=job_id) is not None


async def on_upload_event(event: Event) -> None:
    """Outbox handler (received, approved): enqueue the upload's first run (a failure to reach
    Redis retries the event)."""
    await enqueue_next(outbox.doorbell(), await approval.load_upload(uuid.UUID(event.payload["upload_id"])))


HANDLERS = {staging.UPLOAD_RECEIVED: on_upload_event, approval.UPLOAD_APPROVED: on_upload_event}


def _worker_for(upload: UploadView) -> Actor:
    # Issued on the approver's behalf; the audit log names the worker doing it.
    return Actor(kind=ActorKind.SYSTEM, id=None, label=f"worker, for {upload.decided_by_label}")


@hands_back_when_cancelled
async def issue_upload(ctx: dict[str, Any], upload_id: str) -> str:
    begin_request(f"upload-{uuid.UUID(upload_id).hex}")  # the issuance's audit entries share one request id
    try:
        upload = await approval.load_upload(uuid.UUID(upload_id))
        if upload.status != APPROVED:
            return upload.status  # completed meanwhile (a duplicate run), or never approved
        after = await approval.issue_upload(_worker_for(upload), upload.id, time_budget=ctx.get(BUDGET_KEY, 10.0))
    except DomainError as error:
        log.warning("upload.issue_refused", upload_id=upload_id, code=error.code, reason=error.errors[0].message)
        return error.code
    except Exception as error:
        if not is_transient(error):
            raise
        raise Retry(defer=min(2 ** ctx.get("job_try", 1), 30)) from error
    log.info("upload.issuing", upload_id=upload_id, done=after.progress_done, total=after.progress_total, status=after.status)
    await enqueue_next(ctx["redis"], after)
    return after.status


@hands_back_when_cancelled
async def validate_upload(ctx: dict[str, Any], upload_id: str) -> str:
    begin_request(f"upload-{uuid.UUID(upload_id).hex}")
    try:
        upload = await approval.load_upload(uuid.UUID(upload_id))
        actor = Actor(kind=ActorKind.SYSTEM, id=None, label=f"worker, for {upload.uploaded_by_label}")
        after = await staging.validate_upload(actor, upload.id, time_budget=ctx.get(BUDGET_KEY, 10.0))
    except Exception as error:
        if not is_transient(error):
            raise
        raise Retry(defer=min(2 ** ctx.get("job_try", 1), 30)) from error
    log.info("upload.validating", upload_id=upload_id, rows=after.rows_total, status=after.status)
    await enqueue_next(ctx["redis"], after)
    return after.status


async def resume_stalled_uploads(ctx: dict[str, Any]) -> int:
    """Ring again the jobs of validating or approved uploads that stopped moving; returns how many
    were enqueued."""
    rung = 0
    for status in (VALIDATING, APPROVED):
        for upload in await approval.stalled_uploads(status, STALLED_AFTER):
            rung += await enqueue_next(ctx["redis"], upload)
    if rung:
        log.info("upload.resumed", uploads=rung)
    return rung


def job_functions(timeout: int) -> list:
    return [
        func(issue_upload, name=ISSUE_JOB, timeout=timeout, keep_result=0, max_tries=MAX_TRIES),
        func(validate_upload, name=VALIDATE_JOB, timeout=timeout, keep_result=0, max_tries=MAX_TRIES),
    ]


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [cron(resume_stalled_uploads, run_at_startup=True, timeout=timeout, **schedule)]
