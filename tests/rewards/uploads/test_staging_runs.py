"""Staging in two steps: the api or the console only stores the file (``receive_upload``); the
worker validates it in runs (``validate_upload``), each committing its batches with the upload's
progress, the next resuming after the last line staged: every row staged once, and a duplicate
across the runs still found, a possible duplicate too."""

from upload_steps import csv_file

from backend.rewards.uploads.services import review, staging
from backend.rewards.uploads.tables import RewardUploadRow


async def test_a_received_file_is_validated_in_runs_that_resume_where_the_last_stopped(admin, setting):
    rows = [setting.row(f"NEW-{index}", name=f"New {index}", email=f"new{index}@example.com") for index in range(2500)]
    rows[2400] = rows[0]  # the same reward as line 2, in the second run's batch: the only duplicate
    received = await staging.receive_upload(admin, setting.campaign.id, csv_file(*rows), "runs.csv")
    assert (received.status, received.rows_total, received.progress_done, received.progress_total) == ("validating", 0, 0, 2500)
    assert await RewardUploadRow.count() == 0  # nothing validated by the receiver

    first = await staging.validate_upload(admin, received.id, time_budget=0)  # one batch, then the budget is spent
    assert (first.status, first.rows_total, first.progress_done, first.progress_total) == ("validating", 2000, 2000, 2500)
    again = await staging.validate_upload(admin, received.id, time_budget=0)
    assert (again.status, again.rows_total) == ("staged", 2500)
    assert await staging.validate_upload(admin, received.id) == again  # a copy of the run: nothing more

    lines = [
        row["line"] for row in await RewardUploadRow.select(RewardUploadRow.line).where(RewardUploadRow.upload == received.id)
    ]
    assert sorted(lines) == list(range(2, 2502))  # each once
    [duplicate] = await RewardUploadRow.select(RewardUploadRow.errors).where(
        RewardUploadRow.upload == received.id, RewardUploadRow.line == 2402
    )
    assert "DUPLICATE_IN_FILE" in str(duplicate["errors"]) and "line 2" in str(duplicate["errors"])
    assert (again.rows_valid, again.rows_invalid) == (2499, 1)


async def test_a_file_level_problem_found_by_the_worker_refuses_the_upload_with_its_reason(admin, setting):
    received = await staging.receive_upload(
        admin, setting.campaign.id, csv_file("K-1,100", header="external_id,points"), "points.csv"
    )
    refused = await staging.validate_upload(admin, received.id)
    assert (refused.status, refused.refusal_code, refused.rows_total) == ("refused", "WRONG_HEADER", 0)
    assert "offer" in refused.refusal


async def test_a_possible_duplicate_whose_two_lines_fall_in_different_runs_is_flagged(admin, setting):
    rows = [setting.row(f"NEW-{index}", name=f"New {index}", email=f"new{index}@example.com") for index in range(2500)]
    rows[2400] = setting.row(
        "NEW-0", 100000, name="New 0", email="new0@example.com"
    )  # line 2's recipient and offer, another amount
    received = await staging.receive_upload(admin, setting.campaign.id, csv_file(*rows), "runs.csv")
    first = await staging.validate_upload(admin, received.id, time_budget=0)  # lines 2 to 2001
    assert (first.status, first.rows_total, first.rows_flagged) == ("validating", 2000, 0)
    staged = await staging.validate_upload(admin, received.id, time_budget=0)  # line 2402, in the second run
    assert (staged.status, staged.rows_valid, staged.rows_flagged) == ("staged", 2500, 2)
    flagged = await review.flagged_rows(admin, received.id)
    assert [(row.line, [warning.code for warning in row.warnings]) for row in flagged] == [
        (2, ["POSSIBLE_DUPLICATE"]),
        (2402, ["POSSIBLE_DUPLICATE"]),
    ]
    assert "line 2402" in flagged[0].warnings[0].message and "line 2" in flagged[1].warnings[0].message
