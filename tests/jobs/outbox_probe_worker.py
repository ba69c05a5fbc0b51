"""A real worker process for the tests: the production ``run_worker()`` with the probe's handlers.

Started by tests/jobs/conftest.py as ``python tests/jobs/outbox_probe_worker.py`` with
MIRABELLE_DATABASE_URL, MIRABELLE_REDIS_URL, MIRABELLE_JOB_TIMEOUT_SECONDS and MIRABELLE_TEST_MARKERS.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from outbox_probe import MARKERS_ENV, PROBE_HANDLERS, mark, marks

from backend.core.outbox import job_id
from backend.core.tables import OutboxEvent
from jobs.worker import run_worker

OUTBOX_JOB_PREFIX = job_id("")  # type: ignore[arg-type]  # "outbox:"


async def linger_after_commit(ctx: dict) -> None:
    """arq calls on_job_end after the job function returned and before it acknowledges the job
    (deletes its keys). For a probe.linger event, the first time, stay in that gap so the test can
    kill the worker there: the effect is committed, yet arq will run the job again."""
    if not ctx["job_id"].startswith(OUTBOX_JOB_PREFIX) or "+" in ctx["job_id"]:
        return  # the relay cron, or a job of several events (outbox.batch_job_id)
    event_id = uuid.UUID(ctx["job_id"].removeprefix(OUTBOX_JOB_PREFIX))
    event = await OutboxEvent.select(OutboxEvent.topic).where(OutboxEvent.id == event_id).first()
    if event is None or event["topic"] != "probe.linger":
        return
    first_time = "job-end" not in marks(Path(os.environ[MARKERS_ENV]), event_id)
    mark(event_id, "job-end")
    if first_time:
        await asyncio.sleep(60)


if __name__ == "__main__":
    run_worker(PROBE_HANDLERS, poll_delay=0.05, on_job_end=linger_after_commit)
