"""Row rules: every bad row staged invalid with its line, field, code and reason; good rows valid."""

import json

from upload_steps import another_campaign, csv_file

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
    assert by_line[13].problems[0].message == "same recipient, offer and amount as line 2"
    assert "is not a denomination of 'Chai Point e-voucher' (₹500.00, ₹1,000.00)" in by_line[10].problems[0].message


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


async def test_control_characters_are_refused_with_line_and_column_and_the_rest_is_issued(admin, setting, checker):
    from backend.rewards.uploads.services import approval

    offer = setting.offer.id
    upload = await stage(  # as Excel saves "CSV UTF-8" in a European locale: BOM, ";" and CRLF
        admin,
        setting,
        setting.row("K-1"),  # 2
        f"NEW-1,Nia\x00 New,nia@example.com,,,{offer},50000,",  # 3 a NUL in a name
        f"NEW-2\x00,Sam Sen,sam@example.com,,,{offer},50000,",  # 4 a NUL in the id
        f'NEW-3,"Tab\tand\r\nlines",tab@example.com,,,{offer},50000,',  # 5 tab and line breaks: not in a name
        f"NEW-4,Bell\x07,bell@example.com\x1b,,,{offer},50000,",  # 7 BEL and ESC
        bom=True,
        delimiter=";",
    )
    assert (upload.rows_total, upload.rows_valid, upload.rows_invalid) == (5, 1, 4)
    assert await problems(admin, upload) == {
        3: [("full_name", "INVALID_CHARACTERS")],
        4: [("external_id", "INVALID_CHARACTERS")],
        5: [("full_name", "INVALID_CHARACTERS")],  # a cell may hold lines, a name may not (the recipients' text rule)
        7: [("full_name", "INVALID_CHARACTERS"), ("email", "INVALID_CHARACTERS")],
    }
    messages = {row.line: [p.message for p in row.problems] for row in (await review.invalid_rows(admin, upload.id)).rows}
    assert messages[3] == [
        "line 3, column full_name: the control character U+0000 (NUL) cannot be stored or sent; remove it and upload the row again"
    ]
    assert messages[7][1].startswith("line 7, column email: the control character U+001B cannot be stored")
    await approval.approve_upload(checker, upload.id)
    done = await approval.issue_upload(checker, upload.id)
    assert (done.status, done.issued, done.rejected) == ("completed", 1, 0)


async def test_country_is_normalised_and_required_where_an_eligibility_rule_reads_it(admin, setting):
    from catalogue_steps import TERMS, offer_input

    from backend.catalog.services import offers

    local = await offers.create_offer(
        admin, setting.offer.partner_id, offer_input(title="Local voucher", eligibility_rule="country in [IN, DE]"), terms=TERMS
    )
    local = await offers.change_offer_status(admin, local.id, "live")
    campaign = await another_campaign(admin, setting, "Local heroes", [local.id])
    rows = [
        f"NEW-1,Ana Alt,ana@example.com,,deu,{local.id},50000,",  # 2 alpha-3, lower case
        f"NEW-2,Bo Berg,bo@example.com,,Germany,{local.id},50000,",  # 3 the English name
        f"NEW-3,Cy Chen,cy@example.com,,,{local.id},50000,",  # 4 no country
        f"NEW-4,Di Diaz,di@example.com,,USA,{local.id},50000,",  # 5 a country the rule refuses
        f"NEW-5,Ed Eze,ed@example.com,,ind,{local.id},50000,",  # 6
        f"K-1,,,,IN,{local.id},50000,",  # 7 known, without a country on record
    ]
    upload = await staging.stage_upload(admin, campaign.id, csv_file(*rows, bom=True), "local.csv")
    assert (upload.rows_valid, upload.rows_invalid) == (3, 3)
    assert await problems(admin, upload) == {
        4: [("country", "REQUIRED")],
        5: [("offer", "NOT_ELIGIBLE")],
        7: [("country", "REQUIRED")],
    }
    bad = {row.line: row.problems[0].message for row in (await review.invalid_rows(admin, upload.id)).rows}
    assert bad[4] == "country is missing; the offer is for IN, DE ('Local voucher'): fill the country column"
    assert bad[7].startswith("country is missing; the offer is for IN, DE ('Local voucher'): K-1 has no country on record")
    stored = {row["line"]: row["new_recipient"] for row in await RewardUploadRow.select().where(RewardUploadRow.valid == True)}  # noqa: E712
    assert [json.loads(stored[line])["country"] for line in (2, 3, 6)] == ["DE", "DE", "IN"]
