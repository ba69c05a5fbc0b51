"""An approved upload whose issuance stopped (the console that was issuing it restarted) is
completed by the worker's cron, once each row; one that is still moving is left to its issuer."""

from datetime import timedelta

from upload_steps import csv_file

from backend.core.clock import utcnow
from backend.rewards.tables import RewardIssuance
from backend.rewards.uploads.services import approval, staging
from backend.rewards.uploads.tables import RewardUpload
from jobs.uploads import STALLED_AFTER, resume_upload_issuance


async def _approved(admin, checker, setting, name: str, rows):
    upload = await staging.stage_upload(admin, setting.campaign.id, csv_file(*rows), name)
    return await approval.approve_upload(checker, upload.id)


async def _idle(upload_id, for_: timedelta) -> None:
    await RewardUpload.update({RewardUpload.updated_at: utcnow() - for_}).where(RewardUpload.id == upload_id)


async def test_the_worker_completes_a_stalled_upload_and_leaves_a_moving_one(admin, setting, checker):
    stalled = await _approved(admin, checker, setting, "stalled.csv", [setting.row("K-1"), setting.row("K-2", 100000)])
    await approval.issue_upload(checker, stalled.id, chunk_size=1, max_chunks=1)  # one row issued, then the console died
    await _idle(stalled.id, STALLED_AFTER + timedelta(seconds=5))
    moving = await _approved(
        admin, checker, setting, "moving.csv", [setting.row("K-2"), setting.row("K-1", 100000)]
    )  # approved just now: its console is issuing it

    assert await resume_upload_issuance({}) == 1

    done = await approval.load_upload(stalled.id)
    assert (done.status, done.progress_done, done.issued) == ("completed", 2, 2)
    assert (
        await RewardIssuance.count().where(RewardIssuance.source_event.like(f"upload:{stalled.id}:%")) == 2
    )  # the first row not again
    untouched = await approval.load_upload(moving.id)
    assert (untouched.status, untouched.progress_done) == ("approved", 0)
    assert await resume_upload_issuance({}) == 0  # nothing stalled any more
