"""An approved upload is issued by the worker, run after short run, with its progress in the
database: delivered twice it issues nothing twice, and a worker killed (SIGKILL) in the middle
leaves the next worker to finish it with every row issued exactly once."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rewards", "uploads"))  # upload_steps

from production_worker import production_handlers
from upload_steps import csv_file, make_setting, role_actor, stock_file
from worker_harness import WorkerProcess, eventually, running_worker

from backend.catalog.services import stock_import
from backend.core.clock import utcnow
from backend.rewards.tables import RewardIssuance
from backend.rewards.uploads.services import approval, staging
from backend.rewards.uploads.tables import RewardUpload, RewardUploadRow
from jobs import uploads as upload_jobs

PRODUCTION_WORKER = Path(__file__).with_name("production_worker.py")
RERUN_WITHIN_S = 2 + 10 + 20  # the killed job's in-progress key (job timeout + 10 s), then a margin for load


@pytest.fixture
def checker():
    return role_actor("admin", "checker@example.com")


@pytest.fixture
async def setting(admin, checker):
    return await make_setting(admin, checker)


async def _approved(admin, checker, setting, rows: int, prefix: str = "NEW"):
    """An upload of ``rows`` new recipients (each created at issuance), stocked and approved."""
    codes = [f"{prefix}-{index:05},,50000," for index in range(rows)]
    await stock_import.import_voucher_codes(admin, setting.offer.id, stock_file(*codes), "more-stock.csv")
    lines = [setting.row(f"{prefix}-{n}", name=f"New {n}", email=f"{prefix.lower()}{n}@example.com") for n in range(rows)]
    upload = await staging.stage_upload(admin, setting.campaign.id, csv_file(*lines), "big.csv")
    assert (upload.rows_valid, upload.rows_invalid) == (rows, 0)
    return await approval.approve_upload(checker, upload.id)


async def _issuances_per_line(upload_id) -> dict[str, int]:
    rows = await RewardIssuance.select(RewardIssuance.source_event).where(
        RewardIssuance.source_event.like(f"upload:{upload_id}:%")
    )
    counted: dict[str, int] = {}
    for row in rows:
        counted[row["source_event"]] = counted.get(row["source_event"], 0) + 1
    return counted


def _completed(upload_id):
    async def check() -> bool:
        return (await approval.load_upload(upload_id)).status == "completed"

    return check


async def test_the_worker_issues_an_approved_upload_in_short_runs_with_progress(admin, setting, checker, redis, embedded_redis):
    upload = await _approved(admin, checker, setting, 60)
    seen: list[int] = []

    async def progressed() -> bool:
        now = await approval.load_upload(upload.id)
        seen.append(now.progress_done)
        return now.status == "completed"

    # A job timeout of 3 s: each run works 1.5 s, records what it decided and enqueues the next. (A run
    # that overran the timeout under load would be rung again by the cron once the upload is idle for 60 s.)
    async with running_worker(embedded_redis.url, production_handlers(), settings_update={"job_timeout_seconds": 3}):
        await eventually(progressed, 150, "the worker to issue the upload", interval=0.02)

    done = await approval.load_upload(upload.id)
    assert (done.progress_done, done.progress_total, done.issued, done.rejected) == (60, 60, 60, 0)
    assert seen == sorted(seen)  # progress only moves forward
    assert set((await _issuances_per_line(upload.id)).values()) == {1}
    assert len(await _issuances_per_line(upload.id)) == 60


async def test_copies_of_a_run_delivered_together_issue_each_row_once(admin, setting, checker, redis, embedded_redis):
    upload = await _approved(admin, checker, setting, 30)
    # At-least-once: the run is delivered again under other ids (a relay after Redis lost it, say).
    for copy in range(3):
        await redis.enqueue_job(upload_jobs.ISSUE_JOB, str(upload.id), _job_id=f"copy-{copy}")

    async with running_worker(embedded_redis.url, production_handlers()):
        await eventually(_completed(upload.id), 60, "the worker to issue the upload")

    per_line = await _issuances_per_line(upload.id)
    assert len(per_line) == 30 and set(per_line.values()) == {1}
    assert (await approval.load_upload(upload.id)).issued == 30


async def test_a_worker_killed_mid_issuance_leaves_the_next_to_finish_it_once_each(
    admin, setting, checker, redis, embedded_redis, db, tmp_path
):
    upload = await _approved(admin, checker, setting, 150)
    (tmp_path / "markers").mkdir()
    first = WorkerProcess("first", db.url, embedded_redis.url, tmp_path, script=PRODUCTION_WORKER).start()
    second = WorkerProcess("second", db.url, embedded_redis.url, tmp_path, script=PRODUCTION_WORKER)
    try:
        await first.ready()

        async def issuing() -> bool:
            return len(await _issuances_per_line(upload.id)) >= 5

        await eventually(issuing, 30, "the first worker to issue some rows", interval=0.01)
        first.kill()

        at_kill = await approval.load_upload(upload.id)
        issued_at_kill = len(await _issuances_per_line(upload.id))
        recorded_at_kill = await RewardUploadRow.count().where(
            RewardUploadRow.upload == upload.id, RewardUploadRow.outcome.is_not_null()
        )
        assert at_kill.status == "approved" and at_kill.progress_done < 150, "killed too late: the upload was done"
        print(f"at the kill: {issued_at_kill} issued, {recorded_at_kill} recorded")

        await second.start().ready()
        await eventually(_completed(upload.id), RERUN_WITHIN_S + 60, "the second worker to finish the upload")
    finally:
        for worker in (first, second):
            if worker.process is not None and worker.process.poll() is None:
                worker.kill()
            print(f"----- worker {worker.name} -----\n{worker.log()[-4000:]}")

    done = await approval.load_upload(upload.id)
    assert (done.progress_done, done.issued, done.rejected) == (150, 150, 0)
    per_line = await _issuances_per_line(upload.id)
    assert len(per_line) == 150 and set(per_line.values()) == {1}  # every row issued exactly once
    assert "upload.issuing" in second.log()  # the second worker did the rest


async def test_the_cron_rings_again_an_upload_whose_job_was_lost_and_leaves_a_moving_one(admin, setting, checker, redis):
    stalled = await _approved(admin, checker, setting, 2)
    await approval.issue_upload(checker, stalled.id, chunk_size=1, max_chunks=1)  # one row, then its job was lost
    await RewardUpload.update({RewardUpload.updated_at: utcnow() - upload_jobs.STALLED_AFTER - timedelta(seconds=5)}).where(
        RewardUpload.id == stalled.id
    )
    await redis.flushall()  # Redis restarted: the approval's job is gone
    moving = await _approved(admin, checker, setting, 1, prefix="MOVING")  # approved just now: its job is queued

    assert await upload_jobs.resume_stalled_uploads({"redis": redis}) == 1
    assert await redis.exists(f"arq:job:upload:{stalled.id}:issue:1")
    assert not await redis.exists(f"arq:job:upload:{moving.id}:issue:0")  # flushed, and not stalled: left alone
    assert await upload_jobs.resume_stalled_uploads({"redis": redis}) == 0  # its job is queued: not twice


async def test_the_worker_validates_a_received_file_in_runs_with_progress(admin, setting, redis, embedded_redis):
    rows = [setting.row(f"K-{1 + index % 2}", 50000 if index % 3 else 100000) for index in range(5000)]
    received = await staging.receive_upload(admin, setting.campaign.id, csv_file(*rows), "big.csv")
    assert (received.status, received.progress_total) == ("validating", 5000)
    seen: list[int] = []

    async def staged() -> bool:
        now = await approval.load_upload(received.id)
        seen.append(now.rows_total)
        return now.status == "staged"

    async with running_worker(embedded_redis.url, production_handlers(), settings_update={"job_timeout_seconds": 3}):
        await eventually(staged, 150, "the worker to validate the file", interval=0.02)

    done = await approval.load_upload(received.id)
    assert (done.rows_total, done.rows_valid + done.rows_invalid) == (5000, 5000)
    assert seen == sorted(seen)  # progress only moves forward
    assert await RewardUploadRow.count().where(RewardUploadRow.upload == received.id) == 5000
