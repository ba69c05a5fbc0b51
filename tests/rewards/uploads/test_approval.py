"""Maker-checker approval and issuance: nothing before a second admin approves; then every valid row
issued once, in chunks, with progress in the database; re-approving, resuming and retrying never
issue twice; what issuance refuses is recorded with its code. The dry run prices without writing."""

import asyncio
from datetime import timedelta

import pytest
from upload_steps import csv_file, make_setting, role_actor

from backend.core import audit
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.recipients.tables import Recipient
from backend.rewards.services.issuance import RewardRequest, issue_rewards
from backend.rewards.tables import RewardIssuance
from backend.rewards.uploads.services import approval, pricing, review, staging
from backend.rewards.uploads.tables import RewardUploadRow


async def staged(admin, setting, rows=None):
    rows = rows or [
        setting.row("K-1"),
        setting.row("K-2", 100000),
        setting.row("NEW-1", name="Nia New", email="nia@example.com"),
        setting.row("K-1", 75000),
    ]
    return await staging.stage_upload(admin, setting.campaign.id, csv_file(*rows), "ipa.csv")


async def test_only_a_second_admin_approves_and_nothing_is_issued_before(admin, setting, checker):
    upload = await staged(admin, setting)
    assert (upload.rows_valid, upload.rows_invalid) == (3, 1)
    with pytest.raises(DomainError) as caught:
        await approval.approve_upload(admin, upload.id)
    assert caught.value.code == "SELF_APPROVAL"
    with pytest.raises(DomainError) as caught:
        await approval.approve_upload(SYSTEM, upload.id)
    assert caught.value.code == "PERSON_REQUIRED"
    with pytest.raises(DomainError) as caught:
        await approval.issue_upload(checker, upload.id)
    assert caught.value.code == "UPLOAD_NOT_APPROVED"
    assert await RewardIssuance.count() == 0 and await Recipient.count() == 2
    assert (await review.get_upload(admin, upload.id)).status == "staged"


async def test_approval_issues_every_valid_row_once_with_progress(admin, setting, checker):
    upload = await staged(admin, setting)
    approved = await approval.approve_upload(checker, upload.id, note="checked the totals")
    assert (approved.status, approved.progress_done, approved.progress_total, approved.decided_by_label) == (
        "approved",
        0,
        3,
        checker.label,
    )
    assert await RewardIssuance.count() == 0  # approving changes the status; issuing is its own step (a job's)
    done = await approval.issue_upload(checker, upload.id, chunk_size=2)
    assert (done.status, done.progress_done, done.progress_total, done.issued, done.rejected, done.progress) == (
        "completed",
        3,
        3,
        3,
        0,
        1.0,
    )
    issuances = await RewardIssuance.select().order_by(RewardIssuance.value)
    assert [(row["value"], row["status"], row["idempotency_key"]) for row in issuances] == [
        (50000, "issued", "line:2"),
        (50000, "issued", "line:4"),
        (100000, "issued", "line:3"),
    ]
    assert {row["source_event"] for row in issuances} == {f"upload:{upload.id}:line {line}" for line in (2, 3, 4)}
    new = await Recipient.select().where(Recipient.external_id == "NEW-1").first()
    assert new["email"] == "nia@example.com" and new["source_system"] == "upload"
    rows = {row.line: row for row in (await review.upload_rows(admin, upload.id, limit=10)).rows}
    assert rows[4].recipient_id == new["id"] and rows[4].outcome == "issued" and rows[4].issuance_id is not None
    assert rows[5].outcome is None  # the invalid row is never issued
    actions = [entry["action"] for entry in await audit.entity_history(admin, "reward_upload", upload.id)]
    assert actions == ["reward_upload.completed", "reward_upload.approved", "reward_upload.staged", "reward_upload.received"]


async def test_reapproving_resuming_and_retrying_never_issue_twice(admin, setting, checker):
    upload = await staged(admin, setting)
    await approval.approve_upload(checker, upload.id)
    partial = await approval.issue_upload(checker, upload.id, chunk_size=1, max_chunks=1)
    assert (partial.status, partial.progress_done, partial.progress_total) == ("approved", 1, 3)
    # The process died after issuing line 3 but before recording it: its key is already used.
    third_admin = role_actor("admin", "third@example.com")
    row = await RewardUploadRow.select().where(RewardUploadRow.upload == upload.id, RewardUploadRow.line == 3).first()
    [early] = await issue_rewards(
        checker,
        [
            RewardRequest(
                campaign_id=setting.campaign.id,
                recipient_id=row["recipient_id"],
                offer_id=row["offer_id"],
                value=row["denomination"],
                idempotency_key="line:3",
                source_event=f"upload:{upload.id}:line 3",
                channel=None,
            )
        ],
        idempotency_scope=f"upload:{upload.id}",
    )
    assert early.status == "issued"
    with pytest.raises(DomainError) as caught:
        await approval.approve_upload(third_admin, upload.id)
    assert caught.value.code == "ALREADY_APPROVED"
    resumed = await approval.issue_upload(third_admin, upload.id)  # another admin resumes
    assert (resumed.status, resumed.progress_done, resumed.issued) == ("completed", 3, 3)
    again = await approval.issue_upload(admin, upload.id)
    assert again.issued == 3 and await RewardIssuance.count() == 3
    line_3 = (await review.upload_rows(admin, upload.id, limit=10)).rows[1]
    assert (line_3.line, line_3.issuance_id) == (3, early.issuance_id)  # the replayed first outcome


async def test_two_admins_resuming_at_once_issue_each_row_once(admin, setting, checker):
    upload = await staged(
        admin,
        setting,
        [setting.row(f"NEW-{index}", name=f"New {index}", email=f"new{index}@example.com") for index in range(6)]
        + [setting.row("K-1"), setting.row("K-2")],
    )
    await approval.approve_upload(checker, upload.id)
    other = role_actor("admin", "third@example.com")
    await asyncio.gather(
        approval.issue_upload(checker, upload.id, chunk_size=3), approval.issue_upload(other, upload.id, chunk_size=2)
    )
    final = await review.get_upload(admin, upload.id)
    assert (final.status, final.progress_done, final.issued, final.rejected) == ("completed", 8, 8, 0)
    assert await RewardIssuance.count() == 8 and await Recipient.count() == 8
    completions = [
        e for e in await audit.entity_history(admin, "reward_upload", upload.id) if e["action"] == "reward_upload.completed"
    ]
    assert len(completions) == 1


async def test_what_issuance_refuses_is_recorded_with_its_code(admin, checker):
    setting = await make_setting(admin, checker, max_rewards=2)
    upload = await staged(admin, setting)
    await approval.approve_upload(checker, upload.id)
    done = await approval.issue_upload(checker, upload.id)
    assert (done.status, done.issued, done.rejected, done.progress_done) == ("completed", 2, 1, 3)
    refused = [row for row in (await review.upload_rows(admin, upload.id, limit=10)).rows if row.outcome == "rejected"]
    assert [(row.line, row.rejection_code) for row in refused] == [(4, "CAP_REACHED")]
    assert await RewardIssuance.count() == 2


async def test_dry_run_prices_the_file_and_writes_nothing(admin, checker):
    setting = await make_setting(admin, checker, budget=200000, max_rewards=10)
    rows = [
        setting.row("K-1"),
        setting.row("K-2", 100000),
        setting.row("NEW-1", name="Nia New", email="nia@example.com"),
        setting.row("NEW-2", 100000, name="Omar New", email="omar@example.com"),
        setting.row("K-1", 75000),
    ]
    upload = await staged(admin, setting, rows)
    audit_before = len(await audit.entity_history(admin, "reward_upload", upload.id))
    priced = await pricing.price_upload(checker, upload.id)
    assert (priced.rows_priced, priced.would_issue, priced.total_value) == (4, 3, 200000)
    assert (priced.budget, priced.budget_left_before, priced.budget_left_after) == (200000, 200000, 0)
    assert priced.rejected_by_code == {"BUDGET_EXHAUSTED": 1}
    assert [(row.line, row.external_id, row.outcome) for row in priced.problem_rows] == [(5, "NEW-2", "BUDGET_EXHAUSTED")]
    assert await Recipient.count() == 2 and await RewardIssuance.count() == 0  # the new recipients were priced, not created
    assert len(await audit.entity_history(admin, "reward_upload", upload.id)) == audit_before
    assert (await review.get_upload(admin, upload.id)).status == "staged"


async def test_a_discarded_or_ended_upload_is_not_approved(admin, setting, checker):
    upload = await staged(admin, setting)
    await approval.discard_upload(admin, upload.id, "wrong file")
    with pytest.raises(DomainError) as caught:
        await approval.approve_upload(checker, upload.id)
    assert caught.value.code == "UPLOAD_NOT_STAGED"
    with pytest.raises(DomainError) as caught:
        await approval.discard_upload(admin, upload.id, "")
    assert caught.value.code == "REASON_REQUIRED"
    assert utcnow() - timedelta(minutes=5) < (await review.get_upload(admin, upload.id)).decided_at
