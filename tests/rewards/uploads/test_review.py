"""Review: counts, paged bad rows, inline fixes (re-validated, audited), duplicates across uploads."""

import pytest
from upload_steps import csv_file

from backend.core import audit
from backend.core.errors import DomainError
from backend.rewards.uploads.services import approval, review, staging


async def stage(admin, setting, *rows, name="ipa.csv"):
    return await staging.stage_upload(admin, setting.campaign.id, csv_file(*rows), name)


async def test_bad_rows_are_paged_with_line_and_reasons(admin, setting):
    rows = [setting.row(f"K-{1 + index % 2}", 50000 if index % 2 else 75000) for index in range(30)]
    upload = await stage(admin, setting, *rows)
    assert (upload.rows_total, upload.rows_valid, upload.rows_invalid) == (
        30,
        1,
        29,
    )  # K-1 @ 75000 never; K-2 @ 50000 once, then duplicates
    first = await review.invalid_rows(admin, upload.id, offset=0, limit=10)
    second = await review.invalid_rows(admin, upload.id, offset=10, limit=10)
    assert first.total == 29 and [row.line for row in first.rows] == [2, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert second.rows[0].line == 13 and not {r.line for r in first.rows} & {r.line for r in second.rows}
    codes = {problem.code for row in first.rows for problem in row.problems}
    assert codes == {"INVALID_DENOMINATION", "DUPLICATE_IN_FILE"}
    everything = await review.upload_rows(admin, upload.id, limit=500)
    assert everything.total == 30 and [row.line for row in everything.rows] == list(range(2, 32))


async def test_an_inline_fix_revalidates_the_row_and_is_audited(admin, setting):
    upload = await stage(admin, setting, setting.row("K-1"), setting.row("K-1", 75000), setting.row("NEW-1", name="Nia"))
    assert (upload.rows_valid, upload.rows_invalid) == (1, 2)
    fixed = await review.fix_row(admin, upload.id, 3, {"denomination": "100000"})
    assert fixed.valid and fixed.denomination == 100000 and fixed.problems == ()
    still_bad = await review.fix_row(admin, upload.id, 4, {"email": "not-an-email"})
    assert [(p.field, p.code) for p in still_bad.problems] == [("email", "INVALID_EMAIL")]
    good = await review.fix_row(admin, upload.id, 4, {"email": "nia@example.com"})
    assert good.valid and good.new_recipient
    # A fix that makes a row the twin of another valid row is a duplicate again.
    twin = await review.fix_row(admin, upload.id, 3, {"denomination": "50000"})
    assert [(p.code, p.message) for p in twin.problems] == [("DUPLICATE_IN_FILE", "same recipient, offer and amount as line 2")]
    summary = await review.get_upload(admin, upload.id)
    assert (summary.rows_valid, summary.rows_invalid) == (2, 1)
    history = await audit.entity_history(admin, "reward_upload", upload.id)
    fixes = [entry for entry in history if entry["action"] == "reward_upload.row_fixed"]
    assert len(fixes) == 4 and fixes[-1]["before"] == {
        "line": 3,
        "cells": fixes[-1]["before"]["cells"],
        "valid": False,
        "problems": ["INVALID_DENOMINATION"],
    }
    assert fixes[-1]["after"]["cells"]["denomination"] == "100000"


async def test_fixes_are_refused_clearly(admin, setting, checker):
    upload = await stage(admin, setting, setting.row("K-1"), setting.row("K-1", 75000))
    with pytest.raises(DomainError) as caught:
        await review.fix_row(admin, upload.id, 3, {"salary": "1"})
    assert caught.value.code == "UNKNOWN_COLUMN"
    with pytest.raises(DomainError) as caught:
        await review.fix_row(admin, upload.id, 99, {"denomination": "50000"})
    assert caught.value.code == "NOT_FOUND"
    with pytest.raises(DomainError) as caught:
        await review.fix_row(admin, upload.id, 3, {"full_name": "x" * 1001})
    assert caught.value.code == "CELL_TOO_LONG"
    await approval.approve_upload(checker, upload.id)
    with pytest.raises(DomainError) as caught:
        await review.fix_row(admin, upload.id, 3, {"denomination": "100000"})
    assert caught.value.code == "UPLOAD_NOT_STAGED"
    assert not (await review.invalid_rows(admin, upload.id)).rows[0].valid


async def test_duplicates_of_earlier_uploads_of_the_campaign(admin, setting):
    first = await stage(admin, setting, setting.row("K-1"), setting.row("K-2", 100000), name="june.csv")
    again = await stage(admin, setting, setting.row("K-2", 100000), setting.row("K-1", 100000), name="june-again.csv")
    assert (again.rows_valid, again.rows_invalid) == (1, 1)
    bad = (await review.invalid_rows(admin, again.id)).rows[0]
    assert (bad.line, bad.problems[0].code, bad.problems[0].message) == (
        2,
        "DUPLICATE_OF_UPLOAD",
        "already in the upload 'june.csv', line 3",
    )
    # Once the earlier upload is discarded its rows no longer count.
    await approval.discard_upload(admin, first.id, "wrong month")
    assert (await review.fix_row(admin, again.id, 2, {})).valid
