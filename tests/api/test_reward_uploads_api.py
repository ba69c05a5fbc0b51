"""Bulk reward files over the API: a GraphQL multipart upload is stored and comes back validating;
once the worker's step has validated it, it is staged for review with every bad row reported, or
refused with the file's problem; the dry run prices the staged rows; nothing is issued."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from test_catalog_api import upload

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from backend.rewards.tables import RewardIssuance
from backend.rewards.uploads.services import staging
from backend.rewards.uploads.tables import RewardUpload, RewardUploadRow

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
FILE = "variables.input.file"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _export(rows: int) -> bytes:
    """An HR export as Excel saves it ("CSV UTF-8": BOM, CRLF): the upload's columns and a long notes column."""
    lines = ["external_id,full_name,email,points,notes"]
    notes = "Quarterly spot award for the release; see the manager's comment in the HR system. " * 11
    lines += [f"NEW-{index:06},New Person {index},new{index}@example.com,1,{notes}" for index in range(rows)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


async def test_a_file_over_ten_megabytes_within_the_limit_is_staged(api, key, admin):
    campaign = await _campaign(admin)
    data = _export(11_500)
    assert 10 * 1024 * 1024 < len(data) < 32 * 1024 * 1024  # the HTTP server used to refuse anything over 10 MB
    sent = await _upload(api, key, campaign.id, ("export.csv", data, "text/csv"))
    assert sent["errors"] == [] and sent["upload"]["status"] == "validating"
    staged = await _validated(api, key, sent["upload"]["id"], "query($id: ID!) { rewardUpload(id: $id) { status rowsTotal } }")
    assert (staged["status"], staged["rowsTotal"]) == ("staged", 11_500)


async def test_a_body_past_the_limit_is_the_parsers_error_as_graphql(api, key, admin):
    from backend.api.uploads import REQUEST_MAX_BODY_BYTES

    campaign = await _campaign(admin)
    data = b"external_id,points\r\n" + b"EMP-1,1\r\n" * (REQUEST_MAX_BODY_BYTES // 8)
    response = await api.http.post(
        "/graphql",
        data={
            "operations": json.dumps(
                {"query": documented("UploadRewardFile"), "variables": {"input": {"campaignId": str(campaign.id), "file": None}}}
            ),
            "map": json.dumps({"0": [FILE]}),
        },
        files={"0": ("big.csv", data, "text/csv")},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 413
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "the file is larger than 32 MB: split it into smaller files",
                "extensions": {"code": "FILE_TOO_LARGE", "field": "file", "maxBytes": 32 * 1024 * 1024},
            }
        ],
    }
    # The same words as the parser's, for a file just over its bound (which arrives whole): a
    # workbook is read whole before its sheets, so its size is what is refused first.
    just_over = b"PK\x03\x04" + bytes(32 * 1024 * 1024)
    refused = await _upload(api, key, campaign.id, ("just-over.xlsx", just_over, XLSX))
    assert [(error["code"], error["message"]) for error in refused["errors"]] == [
        ("FILE_TOO_LARGE", "the file is larger than 32 MB: split it into smaller files")
    ]
    assert await RewardUpload.count() == 0


async def test_the_review_names_ignored_columns_and_flags_possible_duplicates(api, key, admin):
    campaign = await _campaign(admin)
    sent = await _upload(
        api,
        key,
        campaign.id,
        _csv("external_id;points;notes;department", "EMP-1;300;bonus;Sales", "EMP-1;200;correction;Sales"),
    )
    assert (sent["errors"], sent["upload"]["status"]) == ([], "validating")  # the review comes once the worker staged it
    found = await _validated(api, key, sent["upload"]["id"])
    assert (found["rowsValid"], found["rowsFlagged"], found["ignoredColumns"]) == (2, 2, ["notes", "department"])
    assert found["notices"] == [
        "2 columns ignored: notes, department",
        "2 rows are flagged as possible duplicates (same recipient and offer, another amount): kept, each is issued",
    ]
    flagged = [edge["node"] for edge in found["flaggedRows"]["edges"]]
    assert [(row["line"], [(w["field"], w["code"]) for w in row["warnings"]]) for row in flagged] == [
        (2, [("points", "POSSIBLE_DUPLICATE")]),
        (3, [("points", "POSSIBLE_DUPLICATE")]),
    ]
    assert flagged[0]["warnings"][0]["message"] == (
        "possible duplicate: same recipient as line 3, with other points (200 there, 300 here); both are issued if you keep them"
    )


async def test_a_malformed_campaign_id_is_the_uploads_own_not_found(api, key):
    # Found by the fuzzer: it was CAMPAIGN_NOT_FOUND, a code RewardUploadErrorCode lacks (answered
    # INVALID and logged as an error).
    payload = await _upload(api, key, "not-an-id", _csv("external_id,offer_id,amount"))
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("campaignId", "NOT_FOUND")]
