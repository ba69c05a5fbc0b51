"""Two rows for the same recipient and offer with different amounts: both valid, each flagged with
a warning naming the other line, counted on the upload, and both issued if the admin keeps them; a
fix that makes them one reward clears the flags."""

from upload_steps import csv_file

from backend.rewards.uploads.services import approval, review, staging


async def test_rows_of_one_recipient_and_offer_with_different_amounts_are_flagged_and_kept(admin, setting, checker):
    rows = [
        setting.row("K-1"),  # 2: 50000
        setting.row("K-2"),  # 3
        setting.row("K-1", 100000),  # 4: the same recipient and offer, another amount
        setting.row("K-1"),  # 5: the very same as line 2: refused
        setting.row("K-2", offer=setting.graded_offer),  # 6: another offer (refused: K-2's grade is 2), not a pair
    ]
    upload = await staging.stage_upload(admin, setting.campaign.id, csv_file(*rows, bom=True), "q3.csv")
    assert (upload.rows_valid, upload.rows_invalid, upload.rows_flagged) == (3, 2, 2)
    assert upload.notices == (
        "2 rows are flagged as possible duplicates (same recipient and offer, another amount): kept, each is issued",
    )
    flagged = await review.flagged_rows(admin, upload.id)
    assert [(row.line, row.valid, [(w.field, w.code) for w in row.warnings]) for row in flagged] == [
        (2, True, [("amount", "POSSIBLE_DUPLICATE")]),
        (4, True, [("amount", "POSSIBLE_DUPLICATE")]),
    ]
    assert [row.warnings[0].message for row in flagged] == [
        "possible duplicate: same recipient and offer as line 4, with another amount (₹1,000.00 there, ₹500.00 here); "
        "both are issued if you keep them",
        "possible duplicate: same recipient and offer as line 2, with another amount (₹500.00 there, ₹1,000.00 here); "
        "both are issued if you keep them",
    ]
    await approval.approve_upload(checker, upload.id)
    done = await approval.issue_upload(checker, upload.id)
    assert (done.status, done.issued, done.rejected) == ("completed", 3, 0)  # kept: both issued, nothing dropped


async def test_a_fix_that_makes_the_rows_one_reward_clears_the_flags(admin, setting):
    upload = await staging.stage_upload(
        admin, setting.campaign.id, csv_file(setting.row("K-1"), setting.row("K-1", 100000)), "q3.csv"
    )
    assert upload.rows_flagged == 2
    fixed = await review.fix_row(admin, upload.id, 3, {"external_id": "K-2"})
    assert (fixed.valid, fixed.warnings) == (True, ())
    assert (await review.get_upload(admin, upload.id)).rows_flagged == 0
    assert await review.flagged_rows(admin, upload.id) == []
    await review.fix_row(admin, upload.id, 3, {"external_id": "K-1"})
    assert [row.line for row in await review.flagged_rows(admin, upload.id)] == [2, 3]
