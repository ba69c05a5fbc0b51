"""Bulk reward files over the API: a GraphQL multipart upload is stored and comes back validating;
once the worker's step has validated it, it is staged for review with every bad row reported, or
refused with the file's problem; the dry run prices the staged rows; nothing is issued."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from test_catalog_api import upload

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.recipients import service as recipients
from backend.recipients.service import RecipientInput
from backend.rewards.tables import RewardIssuance
from backend.rewards.uploads.services import staging
from backend.rewards.uploads.tables import RewardUpload, RewardUploadRow

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
FILE = "variables.input.file"


def documented(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


async def _campaign(admin):
    programme = await recipients.create_programme(admin, "Spot awards", "INR", "0.25")
    await recipients.upsert_recipient(admin, RecipientInput(external_id="EMP-1", full_name="Asha Rao", email="asha@example.com"))
    campaign = await campaigns.create_campaign(
        admin,
        CampaignInput(
            programme_id=programme.id,
            name="Q4 spot awards",
            reward_type="points",
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=30),
            budget=1_000,
            recipient_max_count=1,
        ),
    )
    return await campaigns.activate_campaign(admin, campaign.id)


def _csv(*lines: str) -> tuple[str, bytes, str]:
    return ("spot.csv", ("\ufeff" + "\r\n".join(lines) + "\r\n").encode(), "text/csv")


async def _upload(api, key, campaign_id, file) -> dict:
    data = await upload(
        api, documented("UploadRewardFile"), {"input": {"campaignId": str(campaign_id), "file": None}}, {FILE: file}, key=key
    )
    return data["uploadRewardFile"]


REFUSAL = "query($id: ID!) { rewardUpload(id: $id) { status refusal { field code message } } }"


async def _validated(api, key, upload_id: str, query: str | None = None) -> dict:
    """The worker's step (jobs/uploads.py runs this same service function), then the upload as the API shows it."""
    await staging.validate_upload(SYSTEM, uuid.UUID(upload_id))
    if query is not None:
        return (await api.data(query, {"id": upload_id}, key=key))["rewardUpload"]
    data = await api.data(documented("RewardUpload"), {"id": upload_id}, key=key, operation_name="RewardUpload")
    return data["rewardUpload"]


async def test_a_file_is_staged_with_its_bad_rows_and_priced_without_issuing(api, key, admin):
    campaign = await _campaign(admin)
    staged = await _upload(
        api,
        key,
        campaign.id,
        _csv(
            "external_id;full_name;email;points",
            "EMP-1;;;300",
            "NEW-1;Nia New;nia@example.com;400",
            "NEW-2;;;abc",
            'EMP-3;"=HYPERLINK(""http://evil"")";;100',
            "EMP-1;;;300",
        ),
    )
    assert staged["errors"] == []
    sent = staged["upload"]
    assert (sent["status"], sent["progressDone"], sent["progressTotal"]) == ("validating", 0, 5)
    assert await RewardUploadRow.count() == 0  # the api only stored the file

    found = await _validated(api, key, sent["id"])
    assert (found["status"], found["rowsTotal"], found["rowsValid"], found["rowsInvalid"]) == ("staged", 5, 2, 3)
    assert found["refusal"] is None
    bad = found["invalidRows"]["edges"]
    assert [edge["node"]["line"] for edge in bad] == [4, 5, 6]
    assert [[problem["code"] for problem in edge["node"]["problems"]] for edge in bad] == [
        ["REQUIRED", "INVALID_POINTS"],
        ["MISSING_CONTACT"],
        ["DUPLICATE_IN_FILE"],
    ]
    dry_run = found["dryRun"]
    assert (dry_run["rowsPriced"], dry_run["totalValue"], dry_run["budgetLeftBefore"], dry_run["budgetLeftAfter"]) == (
        2,
        700,
        1_000,
        300,
    )
    assert await RewardIssuance.count() == 0  # staged and priced: nothing issued before a second admin approves


async def test_a_bad_file_is_refused_whole_with_its_reason_and_no_row(api, key, admin):
    campaign = await _campaign(admin)
    wrong = await _upload(api, key, campaign.id, _csv("employee,amount", "EMP-1,300"))
    assert wrong["errors"] == [] and wrong["upload"]["status"] == "validating"
    refused = await _validated(api, key, wrong["upload"]["id"], REFUSAL)
    assert (refused["status"], refused["refusal"]["field"], refused["refusal"]["code"]) == ("refused", "file", "WRONG_HEADER")
    broken = await _upload(api, key, campaign.id, ("bad.csv", b"external_id,points\r\nEMP-1,\xff\xfe300\r\n", "text/csv"))
    assert (await _validated(api, key, broken["upload"]["id"], REFUSAL))["refusal"]["code"] == "INVALID_ENCODING"
    assert await RewardUploadRow.count() == 0


async def test_uploading_needs_the_write_scope(api, make_key, admin):
    campaign = await _campaign(admin)
    reader = await make_key("rewards:read")
    refused = await _upload(api, reader, campaign.id, _csv("external_id,points", "EMP-1,300"))
    assert [error["code"] for error in refused["errors"]] == ["FORBIDDEN"] and await RewardUpload.count() == 0
