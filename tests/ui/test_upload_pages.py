"""The Uploads pages: upload a file for a campaign (handed to the service as a stream), review it
(counts, every bad row with its line and reason, paged on the server), fix a row in place, download
the error report, run the dry run, and approval: refused for the uploader, done by a second admin,
with the issuance's progress and each row's outcome."""

from __future__ import annotations

import csv
import io
import os
import sys

import pytest
from nicegui import ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # the campaign steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "jobs"))  # the worker harness

from arq.connections import RedisSettings, create_pool
from campaign_steps import make_people, make_programme, points_campaign
from worker_harness import running_worker

from backend.core import outbox
from backend.core.authz import Actor
from backend.core.errors import DomainError
from backend.ledger import services as ledger
from backend.recipients import services as recipients
from backend.rewards.services import issuances
from backend.rewards.uploads.services import review
from backend.rewards.uploads.services.approval import approve_upload
from backend.rewards.uploads.services.staging import stage_upload

PASSWORD = "a long enough password"
FILE = (
    "external_id,full_name,email,points\r\n"
    "EMP-0,,,100\r\n"  # a known recipient
    "NEW-1,,,200\r\n"  # a new recipient without a name: line 3 to fix
    "EMP-1,,,abc\r\n"  # line 4: points are not a number
    "NEW-2,Nia New,nia@example.com,300\r\n"  # a new recipient, created at approval
)


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


def label_of(user: User, marker: str) -> str:
    return element(user, marker).text


@pytest.fixture
async def campaign(admin: Actor):
    programme = await make_programme()
    await make_people(2)  # EMP-0, EMP-1
    return await points_campaign(admin, programme.id, name="Spot awards", budget=5_000)


async def test_upload_review_fix_report_dry_run_and_the_uploader_cannot_approve(
    console: User, admin, campaign, patience, table, eventually, embedded_redis, doorbell
) -> None:
    await console.open(f"/uploads?campaign={campaign.id}")
    await console.should_see(marker="upload-card", retries=patience)
    uploader = next(iter(console.find(ui.upload).elements))
    await uploader.handle_uploads([ui.upload.SmallFileUpload("spot awards.csv", "text/csv", FILE.encode())])
    await console.should_see(
        "Received spot awards.csv: checking every row in the background… see progress on its page. "
        "Nothing is issued until a second admin approves.",
        retries=patience,
    )
    await console.should_see(marker="issue-progress-text", retries=patience)
    assert label_of(console, "issue-progress-text").startswith("validating… 0 of about 4 rows")
    assert element(console, "upload-status").text == "Validating"  # the console only stored the file

    async with running_worker(embedded_redis.url, None):  # the worker checks every row
        await console.should_see(
            "Checked spot awards.csv: 4 rows, 2 valid, 2 to fix. Nothing is issued until a second admin approves.",
            retries=patience * 4,
        )
    await console.should_see(marker="bad-rows-table", retries=patience)
    [upload] = (await review.list_uploads(admin, campaign.id)).rows
    assert (
        label_of(console, "upload-rows-value"),
        label_of(console, "upload-valid-value"),
        label_of(console, "upload-invalid-value"),
    ) == ("4", "2", "2")

    bad = table(console, "bad-rows-table")
    await eventually(lambda: [row["line"] for row in bad.rows] == [3, 4])
    assert bad.rows[0]["problems"] == "full_name: NEW-1 is not a known recipient: full_name is required to create them"
    assert bad.rows[1]["problems"] == "points: points 'abc' is not a positive whole number"
    assert bad.pagination["rowsNumber"] == 2

    console.find(marker="bad-rows-table").trigger("row_action", {"action": "fix", "key": "3"})
    await console.should_see(marker="fix-dialog", retries=patience)
    assert element(console, "fix-full_name").error == "NEW-1 is not a known recipient: full_name is required to create them."
    console.find(marker="fix-full_name").type("Nadia One")
    console.find(marker="fix-email").type("nadia@example.com")
    console.find(marker="save-fix").click()
    await console.should_see("Line 3 is valid now: it will be issued on approval.", retries=patience)
    await eventually(lambda: [row["line"] for row in bad.rows] == [4])
    assert (label_of(console, "upload-valid-value"), label_of(console, "upload-invalid-value")) == ("3", "1")

    console.find(marker="error-report").click()
    report = await console.download.next(timeout=5)
    await console.should_see("Downloaded spot-awards-errors.csv", retries=patience)
    rows = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [(row["line"], row["column"], row["code"], row["external_id"], row["points"]) for row in rows] == [
        ("4", "points", "INVALID_POINTS", "EMP-1", "abc")
    ]

    console.find(marker="dry-run-button").click()
    await console.should_see(marker="dry-total-value", retries=patience)
    assert label_of(console, "dry-total-value") == "600 points"
    assert (label_of(console, "dry-budget-before-value"), label_of(console, "dry-budget-after-value")) == (
        "5,000 points",
        "4,400 points",
    )
    assert (label_of(console, "dry-issue-value"), label_of(console, "dry-refused-value")) == ("3", "0")
    assert element(console, "dry-run-chart").options["series"][1]["data"] == [600]
    assert (
        await recipients.search_recipients(admin, recipients.RecipientFilter(search="NEW-"))
    ).total == 0  # the dry run wrote nothing

    # The uploader: Approve disabled with the reason in words, Withdraw instead of Reject.
    await console.should_see("You uploaded this file; another admin must approve it. You may withdraw it.", retries=patience)
    assert element(console, "approve-upload").props.get("disable") is True
    await console.should_see(marker="withdraw-upload")
    await console.should_not_see(marker="reject-upload")
    [staged] = (await review.list_uploads(admin, campaign.id)).rows
    with pytest.raises(DomainError) as refused:  # the service refuses it too
        await approve_upload(admin, staged.id)
    assert refused.value.code == "SELF_APPROVAL"
    assert (await review.list_uploads(admin, campaign.id)).rows[0].status == "staged"
    assert (await issuances.list_issuances(admin, campaign.id)).total == 0
    assert upload.file_name == "spot awards.csv"


@pytest.fixture
async def doorbell(embedded_redis):
    """The console's Redis: approving rings the worker's job on it."""
    pool = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(pool)
    yield pool
    outbox.set_doorbell(None)
    await pool.aclose()


async def test_a_second_admin_approves_and_watches_the_worker_issue_the_rows(
    user: User, admin, campaign, sign_in, create_person, patience, table, eventually, embedded_redis, doorbell
) -> None:
    staged = await stage_upload(admin, campaign.id, io.BytesIO(FILE.encode()), "spot awards.csv")
    await create_person("checker@example.com", ["admin"])
    await sign_in("checker@example.com", PASSWORD, path=f"/uploads/{staged.id}")
    await user.should_see(marker="approve-upload", retries=patience)
    await user.should_not_see(marker="maker-reason")
    await user.should_see(marker="reject-upload")
    user.find(marker="approve-upload").click()
    await user.should_see(marker="confirm-dialog", retries=patience)
    user.find(marker="confirm-ok").click()
    await user.should_see("Approved spot awards.csv: issuing 2 rows in the background… see progress below.", retries=patience)
    await user.should_see(marker="issue-progress-bar", retries=patience)
    assert element(user, "upload-status").text == "Issuing"  # nothing is issued by the console itself
    assert label_of(user, "issue-progress-text").startswith("0 of 2 rows decided")
    assert (await issuances.list_issuances(admin, campaign.id)).total == 0

    async with running_worker(embedded_redis.url, None):  # the worker takes the approval's job
        await user.should_see(
            "Issued spot awards.csv: issued 2, waiting for approval 0, refused or failed 0.", retries=patience * 4
        )
    assert element(user, "issue-progress-bar").value == 1.0
    assert element(user, "upload-status").text == "Completed"
    assert (
        label_of(user, "issue-progress-text")
        == "Done: 2 of 2 rows decided · issued 2, waiting for approval 0, refused or failed 0."
    )
    outcomes = table(user, "upload-outcomes")
    await eventually(lambda: [(row["line"], row["outcome"]) for row in outcomes.rows] == [(2, "Issued"), (5, "Issued")])
    await user.should_not_see(marker="approve-upload")

    known = await recipients.get_recipient(admin, external_id="EMP-0")
    assert (await ledger.balance(admin, campaign.programme_id, known.id)).available == 100
    nia = await recipients.get_recipient(admin, external_id="NEW-2")
    assert (await ledger.balance(admin, campaign.programme_id, nia.id)).available == 300
    assert {issuance.source_event for issuance in (await issuances.list_issuances(admin, campaign.id)).rows} == {
        f"upload:{staged.id}:line 2",
        f"upload:{staged.id}:line 5",
    }


async def test_the_uploads_list_shows_each_file_and_its_counts(console: User, admin, campaign, table, eventually) -> None:
    await stage_upload(admin, campaign.id, io.BytesIO(FILE.encode()), "first.csv")
    await console.open("/uploads")
    listed = table(console, "uploads-table")
    await eventually(lambda: len(listed.rows) == 1)
    [row] = listed.rows
    assert (row["file_name"], row["campaign"], row["rows_total"], row["rows_valid"], row["rows_invalid"], row["status"]) == (
        "first.csv",
        "Spot awards",
        "4",
        "2",
        "2",
        "In review",
    )
    assert row["href"].startswith("/uploads/")


async def test_a_file_level_problem_found_by_the_worker_is_said_plainly(
    console: User, admin, campaign, patience, embedded_redis, doorbell
) -> None:
    await console.open(f"/uploads?campaign={campaign.id}")
    await console.should_see(marker="upload-card", retries=patience)
    uploader = next(iter(console.find(ui.upload).elements))
    await uploader.handle_uploads([ui.upload.SmallFileUpload("wrong.csv", "text/csv", b"name,amount\r\nA,1\r\n")])
    async with running_worker(embedded_redis.url, None):
        await console.should_see(marker="upload-refusal", retries=patience * 4)
    assert label_of(console, "upload-refusal").startswith("The file was refused as a whole: The first row must name the columns")
    assert element(console, "upload-status").text == "Refused"
    [refused] = (await review.list_uploads(admin)).rows
    assert (refused.status, refused.rows_total) == ("refused", 0)


async def test_the_review_names_ignored_columns_and_lists_possible_duplicates(
    console: User, admin, campaign, table, eventually
) -> None:
    data = "external_id,full_name,email,points,notes\r\nEMP-0,,,100,bonus\r\nEMP-0,,,250,correction\r\nEMP-1,,,100,\r\n"
    staged = await stage_upload(admin, campaign.id, io.BytesIO(data.encode()), "spot awards.csv")
    await console.open(f"/uploads/{staged.id}")
    await console.should_see("1 column ignored: notes.")
    await console.should_see(
        "2 rows are flagged as possible duplicates (same recipient and offer, another amount): kept, each is issued."
    )
    flagged = table(console, "flagged-rows-table")
    await eventually(lambda: [row["line"] for row in flagged.rows] == [2, 3])
    assert flagged.rows[0]["problems"] == (
        "possible duplicate: same recipient as line 3, with other points (250 there, 100 here); both are issued if you keep them"
    )
