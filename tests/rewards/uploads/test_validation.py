"""Row rules: every bad row staged invalid with its line, field, code and reason; good rows valid."""

from upload_steps import csv_file

from backend.core import audit
from backend.recipients.tables import Recipient
from backend.rewards.uploads.services import review, staging
from backend.rewards.uploads.tables import RewardUploadRow


async def stage(admin, setting, *rows, name="ipa.csv", **options):
    return await staging.stage_upload(admin, setting.campaign.id, csv_file(*rows, **options), name)


async def problems(admin, upload) -> dict[int, list[tuple]]:
    page = await review.invalid_rows(admin, upload.id, limit=500)
    return {row.line: [(p.field, p.code) for p in row.problems] for row in page.rows}


async def test_good_rows_are_staged_valid_and_nothing_is_created(admin, setting):
    upload = await stage(
        admin,
        setting,
        setting.row("K-1"),
        setting.row("NEW-1", 100000, name="Nia New", email="Nia@Example.com", channel="email"),
        setting.row("NEW-2", name="Sam Sms", phone="+91 98123 45678", country="in"),
    )
    assert (upload.status, upload.rows_total, upload.rows_valid, upload.rows_invalid) == ("staged", 3, 3, 0)
    rows = {row["line"]: row for row in await RewardUploadRow.select().order_by(RewardUploadRow.line)}
    assert rows[2]["recipient_id"] is not None and rows[2]["new_recipient"] is None
    assert rows[3]["recipient_id"] is None and '"nia@example.com"' in rows[3]["new_recipient"].lower()
    assert rows[4]["new_recipient"] and "+919812345678" in rows[4]["new_recipient"]
    assert await Recipient.count() == 2  # new recipients wait for approval
    entry = (await audit.entity_history(admin, "reward_upload", upload.id))[0]
    assert entry["action"] == "reward_upload.staged" and entry["after"]["rows_valid"] == 3


async def test_every_bad_row_gets_line_field_and_code(admin, setting):
    offer = setting.offer.id
    upload = await stage(
        admin,
        setting,
        setting.row("K-1"),  # 2 good
        f",,,,,{offer},50000,",  # 3 no external id
        f"NEW-1,,new1@example.com,,,{offer},50000,",  # 4 new recipient without a name
        f"NEW-2,Bad Mail,not-an-email,,,{offer},50000,",  # 5
        f"NEW-3,Bad Phone,,12345,,{offer},50000,sms",  # 6
        f"NEW-4,Bad Country,n4@example.com,,XX,{offer},50000,",  # 7
        "K-1,,,,,not-a-uuid,50000,",  # 8
        "K-1,,,,,00000000-0000-0000-0000-000000000001,50000,",  # 9 not the campaign's offer
        f"K-1,,,,,{offer},75000,",  # 10 not a denomination of the offer
        f"K-1,,,,,{offer},500.00,",  # 11 decimals refused
        f"K-2,,,,,{setting.graded_offer.id},50000,",  # 12 grade 2 < 5
        f"K-1,,,,,{offer},50000,",  # 13 duplicate of line 2
        f"K-1,,,,,{offer},50000,pigeon",  # 14 channel
        f"K-1,,,,,{offer},50000",  # 15 a field short
        "",  # 16 blank: skipped
        f"NEW-5,No Contact,,,,{offer},50000,",  # 17 email channel without email
    )
    assert (upload.rows_total, upload.rows_valid, upload.rows_invalid) == (15, 1, 14)
    assert await problems(admin, upload) == {
        3: [("external_id", "REQUIRED")],
        4: [("full_name", "REQUIRED")],
        5: [("email", "INVALID_EMAIL")],
        6: [("phone", "INVALID_PHONE")],
        7: [("country", "INVALID_COUNTRY")],
        8: [("offer", "INVALID_OFFER")],
        9: [("offer", "OFFER_NOT_ALLOWED")],
        10: [("denomination", "INVALID_DENOMINATION")],
        11: [("denomination", "INVALID_DENOMINATION")],
        12: [("offer", "NOT_ELIGIBLE")],
        13: [(None, "DUPLICATE_IN_FILE")],
        14: [("channel", "INVALID_CHANNEL")],
        15: [(None, "WRONG_FIELD_COUNT")],
        17: [("channel", "MISSING_CONTACT")],
    }
    page = await review.invalid_rows(admin, upload.id, limit=500)
    by_line = {row.line: row for row in page.rows}
    assert by_line[13].problems[0].message == "same recipient, offer and denomination as line 2"
    assert "not one of this offer's (50000, 100000)" in by_line[10].problems[0].message


async def test_points_campaign_rows(admin, setting):
    from datetime import timedelta

    from backend.campaigns.services import campaigns
    from backend.campaigns.services.campaigns import CampaignInput
    from backend.core.clock import utcnow

    now = utcnow()
    points = await campaigns.create_campaign(
        admin,
        CampaignInput(
            programme_id=setting.programme.id,
            name="Milestones",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=9),
            reward_type="points",
            points_value=500,
        ),
    )
    upload = await staging.stage_upload(
        admin,
        points.id,
        csv_file(
            "K-1,500,", "K-2,250,", "K-1,abc,", f"K-2,500,{setting.offer.id}", "K-1,500,", header="external_id,points,offer"
        ),
        "points.csv",
    )
    assert (upload.rows_valid, upload.rows_invalid) == (1, 4)
    assert await problems(admin, upload) == {
        3: [("points", "INVALID_POINTS")],
        4: [("points", "INVALID_POINTS")],
        5: [("offer", "OFFER_NOT_ALLOWED")],
        6: [(None, "DUPLICATE_IN_FILE")],
    }
