"""Approved bulk uploads are issued in the console right after approval; if that stops (the console
restarted, the page's process died), the worker resumes them here, a slice per tick, so an
approved upload always completes. ``issue_upload`` resumes where it stopped and never issues a row
twice, so the worker and a console racing on one upload is harmless."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from arq.cron import cron

from backend.core.authz import Actor, ActorKind
from backend.core.errors import DomainError
from backend.rewards.uploads.services import approval

log = structlog.get_logger(__name__)

STALLED_AFTER = timedelta(seconds=60)  # no progress for this long: nobody is issuing it any more
SLICE_CHUNKS = 5  # chunks of 100 rows per upload per tick, well inside the job timeout


async def resume_upload_issuance(ctx: dict[str, Any]) -> int:
    resumed = 0
    for upload in await approval.stalled_uploads(STALLED_AFTER):
        # Issued on the approver's behalf; the audit log names the worker doing it.
        actor = Actor(kind=ActorKind.SYSTEM, id=None, label=f"worker, for {upload.decided_by_label}")
        try:
            after = await approval.issue_upload(actor, upload.id, max_chunks=SLICE_CHUNKS)
        except DomainError as error:
            log.warning("upload.resume_refused", upload_id=str(upload.id), code=error.code, reason=error.errors[0].message)
            continue
        resumed += 1
        log.info(
            "upload.resumed", upload_id=str(upload.id), done=after.progress_done, total=after.progress_total, status=after.status
        )
    return resumed


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [cron(resume_upload_issuance, run_at_startup=True, timeout=timeout, **schedule)]
