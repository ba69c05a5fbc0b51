"""A row with channel=whatsapp and a valid phone is accepted: WhatsApp goes to the phone unless the
recipient has a separate WhatsApp number (issue 17). Without any phone it is refused, naming both."""

from upload_steps import csv_file

from backend.rewards.uploads.services import review, staging
from backend.rewards.uploads.tables import RewardUploadRow


async def test_a_whatsapp_row_with_a_phone_is_valid_and_one_without_is_refused(admin, setting):
    upload = await staging.stage_upload(
        admin,
        setting.campaign.id,
        csv_file(
            setting.row("WA-1", name="Wafa Phone", phone="+91 98123 45678", channel="whatsapp"),
            setting.row("WA-2", name="Wasim Nophone", email="wasim@example.com", channel="whatsapp"),
        ),
        "whatsapp.csv",
    )
    assert (upload.rows_valid, upload.rows_invalid) == (1, 1)
    rows = {row["line"]: row for row in await RewardUploadRow.select().order_by(RewardUploadRow.line)}
    assert '"whatsapp"' in rows[2]["new_recipient"] and "+919812345678" in rows[2]["new_recipient"]
    (refused,) = (await review.invalid_rows(admin, upload.id, limit=10)).rows
    assert refused.line == 3
    assert [(problem.field, problem.code) for problem in refused.problems] == [("channel", "MISSING_CONTACT")]
    assert "WhatsApp number or a phone number" in refused.problems[0].message
