"""A row that fails at issuance — refused by governance, out of stock, or an unexpected error inside
the issuance — is recorded as that row's outcome with the reason, and the rest of the upload goes
on: the upload ends completed, "issued N, failed M", instead of staying approved 0/N."""

import contextlib

from upload_steps import csv_file

from backend.rewards.tables import RewardIssuance
from backend.rewards.uploads.services import approval, review, staging
from backend.rewards.uploads.tables import RewardUploadRow


async def _approved(admin, checker, setting, *rows):
    upload = await staging.stage_upload(admin, setting.campaign.id, csv_file(*rows), "ipa.csv")
    assert upload.rows_invalid == 0
    return await approval.approve_upload(checker, upload.id)


async def _break(upload_id, line: int, values: dict) -> None:
    """Change a staged row behind validation's back: what only issuance can find wrong."""
    await RewardUploadRow.update(values).where(RewardUploadRow.upload == upload_id, RewardUploadRow.line == line)


async def test_rows_that_fail_at_issuance_are_recorded_and_the_rest_is_issued(admin, setting, checker):
    upload = await _approved(
        admin,
        checker,
        setting,
        setting.row("K-1"),  # line 2: issued
        setting.row("NEW-1", name="Nia New", email="nia@example.com"),  # line 3: its recipient cannot be created
        setting.row("K-2", 100000),  # line 4: no value any more: refused by the issuance's checks
        setting.row("NEW-2", name="Noor New", email="noor@example.com"),  # line 5: issued
        setting.row("K-2"),  # line 6: refused by the issuance's eligibility check
    )
    assert upload.progress_total == 5
    await _break(upload.id, 3, {RewardUploadRow.new_recipient: {"external_id": "NEW-1", "favourite_colour": "teal"}})
    await _break(upload.id, 4, {RewardUploadRow.denomination: None})
    await _break(upload.id, 6, {RewardUploadRow.offer_id: setting.graded_offer.id})  # K-2 is grade 2, the offer wants 5

    done = await approval.issue_upload(checker, upload.id, chunk_size=2)

    assert (done.status, done.progress_done, done.issued, done.rejected) == ("completed", 5, 2, 3)
    rows = {row.line: row for row in (await review.upload_rows(admin, upload.id, limit=10)).rows}
    assert {line: (row.outcome, row.rejection_code) for line, row in rows.items()} == {
        2: ("issued", None),
        3: ("rejected", "ISSUANCE_FAILED"),
        4: ("rejected", "INVALID_DENOMINATION"),
        5: ("issued", None),
        6: ("rejected", "NOT_ELIGIBLE"),
    }
    assert "favourite_colour" in rows[3].outcome_message
    assert await RewardIssuance.count().where(RewardIssuance.source_event.like(f"upload:{upload.id}:%")) == 2


async def test_a_run_cut_by_its_time_budget_records_what_it_decided_and_the_next_run_goes_on(admin, setting, checker):
    upload = await _approved(admin, checker, setting, *(setting.row(f"K-{n}") for n in (1, 2)))

    first = await approval.issue_upload(checker, upload.id, time_budget=0)  # one row, then the budget is spent
    assert (first.status, first.progress_done) == ("approved", 1)
    second = await approval.issue_upload(checker, upload.id, time_budget=0)
    assert (second.status, second.progress_done, second.issued) == ("completed", 2, 2)


async def test_a_nul_byte_slipped_into_a_staged_row_fails_that_row_only(admin, setting, checker):
    # The text rule refuses it at issuance on both databases (PostgreSQL could not even store it).
    upload = await _approved(
        admin, checker, setting, setting.row("NEW-1", name="Nia New", email="nia@example.com"), setting.row("K-1")
    )
    await _break(upload.id, 2, {RewardUploadRow.new_recipient: {"external_id": "NEW-1", "full_name": "Nia\x00New"}})

    done = await approval.issue_upload(checker, upload.id)

    assert (done.status, done.issued, done.rejected) == ("completed", 1, 1)
    [failed] = [row for row in (await review.upload_rows(admin, upload.id, limit=10)).rows if row.line == 2]
    assert failed.outcome == "rejected" and "\x00" not in failed.outcome_message


# A failure only the database finds, inside the issuance's own transaction (a constraint or a
# trigger the service does not know of): a trigger refuses the reward of line 3, on either database.
_REFUSE_LINE_3 = {
    "sqlite": [
        """CREATE TRIGGER refuse_line_3 BEFORE INSERT ON reward_issuances
           WHEN NEW.source_event LIKE '%:line 3' BEGIN SELECT RAISE(ABORT, 'line 3 refused by the database'); END"""
    ],
    "postgres": [
        """CREATE FUNCTION refuse_line_3() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'line 3 refused by the database'; END $$""",
        """CREATE TRIGGER refuse_line_3 BEFORE INSERT ON reward_issuances
           FOR EACH ROW WHEN (NEW.source_event LIKE '%:line 3') EXECUTE FUNCTION refuse_line_3()""",
    ],
}
_ALLOW_LINE_3 = {
    "sqlite": ["DROP TRIGGER IF EXISTS refuse_line_3"],
    "postgres": ["DROP TRIGGER IF EXISTS refuse_line_3 ON reward_issuances", "DROP FUNCTION IF EXISTS refuse_line_3()"],
}


@contextlib.asynccontextmanager
async def _line_3_refused_by_the_database(db):
    try:
        for statement in _REFUSE_LINE_3[db.kind]:
            await db.engine.run_ddl(statement)
        yield
    finally:
        for statement in _ALLOW_LINE_3[db.kind]:
            await db.engine.run_ddl(statement)


async def test_an_unexpected_error_inside_a_rows_issuance_fails_that_row_only(db, admin, setting, checker):
    upload = await _approved(
        admin,
        checker,
        setting,
        setting.row("K-1"),  # line 2: issued
        setting.row("NEW-1", name="Nia New", email="nia@example.com"),  # line 3: the database refuses its reward
        setting.row("NEW-2", name="Noor New", email="noor@example.com"),  # line 4: issued
    )
    async with _line_3_refused_by_the_database(db):
        done = await approval.issue_upload(checker, upload.id)

    assert (done.status, done.issued, done.rejected) == ("completed", 2, 1)
    rows = {row.line: row for row in (await review.upload_rows(admin, upload.id, limit=10)).rows}
    assert {line: (row.outcome, row.rejection_code) for line, row in rows.items()} == {
        2: ("issued", None),
        3: ("rejected", "ISSUANCE_FAILED"),
        4: ("issued", None),
    }
    assert "line 3 refused by the database" in rows[3].outcome_message
    assert await RewardIssuance.count().where(RewardIssuance.source_event.like(f"upload:{upload.id}:%")) == 2
