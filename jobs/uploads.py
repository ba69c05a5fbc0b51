"""Upload jobs: issuing an approved upload, a run of rows at a time.

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
from backend.rewards.uploads.services import approval
from backend.rewards.uploads.views import APPROVED, UploadView
from jobs.handback import hands_back_when_cancelled

log = structlog.get_logger(__name__)

ISSUE_JOB = "issue_upload"
BUDGET_KEY = "upload_run_seconds"  # ctx: how long one run may work (half the job timeout)
STALLED_AFTER = timedelta(seconds=60)  # no progress for this long: the job is lost, ring it again
MAX_TRIES = 8  # a lost database: runs again after 1, 2, 4 … s; then the cron takes over


def _issue_job_id(upload: UploadView) -> str:
    return f"upload:{upload.id}:issue:{upload.progress_done}"


async def enqueue_issue(redis: Any, upload: UploadView) -> bool:
    """Enqueue the next run of an approved upload; False when that run is already queued or running."""
    if redis is None:
        raise RuntimeError("no Redis to enqueue the upload's issuance on")
    return await redis.enqueue_job(ISSUE_JOB, str(upload.id), _job_id=_issue_job_id(upload)) is not None


async def on_upload_approved(event: Event) -> None:
    """Outbox handler: enqueue the upload's first run (a failure to reach Redis retries the event)."""
    upload = await approval.load_upload(uuid.UUID(event.payload["upload_id"]))
    if upload.status == APPROVED:
        await enqueue_issue(outbox.doorbell(), upload)


HANDLERS = {approval.UPLOAD_APPROVED: on_upload_approved}


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
    if after.status == APPROVED:
        await enqueue_issue(ctx["redis"], after)
    return after.status


async def resume_stalled_uploads(ctx: dict[str, Any]) -> int:
    """Ring again the jobs of approved uploads that stopped moving; returns how many were enqueued."""
    rung = 0
    for upload in await approval.stalled_uploads(APPROVED, STALLED_AFTER):
        rung += await enqueue_issue(ctx["redis"], upload)
    if rung:
        log.info("upload.resumed", uploads=rung)
    return rung


def job_functions(timeout: int) -> list:
    return [func(issue_upload, name=ISSUE_JOB, timeout=timeout, keep_result=0, max_tries=MAX_TRIES)]


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [cron(resume_stalled_uploads, run_at_startup=True, timeout=timeout, **schedule)]
