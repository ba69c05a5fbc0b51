"""Uploads written as people write them: amounts in the currency (amount_minor only by name), offers
by code; the campaign's template read back as an upload; the error report uploaded again as it is;
eligibility refusals in plain words."""

import io

import pytest
from python_calamine import CalamineWorkbook
from upload_steps import another_campaign, csv_file

from backend.core.errors import DomainError
from backend.rewards.uploads.services import review, staging, templates

HEADER = "external_id,full_name,email,offer,amount"


async def stage(admin, setting, *rows, header=HEADER, name="rewards.csv", source=None):
    return await staging.stage_upload(admin, setting.campaign.id, source or csv_file(*rows, header=header), name)


async def test_amounts_in_the_currency_and_offers_by_code(admin, setting):
    code = setting.offer.code
    upload = await stage(
        admin,
        setting,
        f"K-1,,,{code},500",
        f"K-2,,,{code.lower()},1000.00",
        f'N-1,Nia,nia@example.com,{code},"1,000.00"',
        f"N-2,Noor,noor@example.com,{code},500.001",
        f"N-3,Nils,nils@example.com,{code},750",
        "N-4,Nadia,nadia@example.com,NOPE-1,500",
    )
    rows = {row.line: row for row in (await review.upload_rows(admin, upload.id)).rows}
    assert [(line, rows[line].valid, rows[line].denomination) for line in (2, 3, 4)] == [
        (2, True, 50000),
        (3, True, 100000),
        (4, True, 100000),
    ]
    assert [(p.field, p.code) for p in rows[5].problems] == [("amount", "INVALID_DENOMINATION")]
    assert "500.001" in rows[5].problems[0].message and "more than 2 decimals" in rows[5].problems[0].message
    assert rows[6].problems[0].message == (f"₹750.00 is not a denomination of '{setting.offer.title}' (₹500.00, ₹1,000.00)")
    assert rows[7].problems[0].code == "INVALID_OFFER" and code in rows[7].problems[0].message


async def test_minor_units_only_under_a_column_that_says_so(admin, setting):
    upload = await stage(
        admin, setting, f"K-1,,,{setting.offer.code},50000", header="external_id,full_name,email,offer,amount_minor"
    )
    (row,) = (await review.upload_rows(admin, upload.id)).rows
    assert row.valid and row.denomination == 50000
    # The same number under `amount` is ₹50,000.00: not a denomination, and said so in currency.
    upload = await stage(admin, setting, f"K-2,,,{setting.offer.code},50000", name="again.csv")
    (row,) = (await review.upload_rows(admin, upload.id)).rows
    assert row.problems[0].message.startswith("₹50,000.00 is not a denomination")
    with pytest.raises(DomainError) as caught:
        await stage(admin, setting, "K-1,,,X,500,50000", header="external_id,full_name,email,offer,amount,amount_minor")
    assert caught.value.code == "WRONG_HEADER" and "amount and amount_minor (one amount column)" in caught.value.errors[0].message


async def test_eligibility_refusals_name_the_failing_attribute(admin, setting):
    upload = await stage(admin, setting, f"K-2,,,{setting.graded_offer.code},500")
    (row,) = (await review.upload_rows(admin, upload.id)).rows
    assert [(p.code, p.message) for p in row.problems] == [
        ("NOT_ELIGIBLE", "K-2 cannot have 'Graded voucher': grade is 2; the offer needs grade 5 or more")
    ]


async def test_the_template_lists_the_offers_and_reads_back_as_an_upload(admin, setting):
    template = await templates.upload_template(admin, setting.campaign.id)
    assert [(offer.code, offer.amounts) for offer in template.offers] == [
        (setting.offer.code, "500.00, 1000.00"),
        (setting.graded_offer.code, "500.00, 1000.00"),
    ]
    text = templates.template_csv(template)
    assert text.splitlines()[1].startswith(f'"# {setting.offer.code} · ')  # one cell (a comma inside)
    filled = text + f"K-1,,,,,{setting.offer.code},500.00,\r\n"
    upload = await stage(admin, setting, source=io.BytesIO(filled.encode("utf-8-sig")), name="template.csv")
    assert (upload.rows_total, upload.rows_valid) == (1, 1)
    (row,) = (await review.upload_rows(admin, upload.id)).rows
    assert row.line == 5  # two offers' comment lines and a title line, then the header on line 4

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(templates.template_xlsx(template)))
    assert workbook.sheet_names == ["Rewards", "Offers"]
    offers_sheet = workbook.get_sheet_by_name("Offers").to_python()
    assert offers_sheet[0] == ["code", "title", "partner", "currency", "amounts"]
    assert offers_sheet[1][0] == setting.offer.code and offers_sheet[1][4] == "500.00, 1000.00"
    assert workbook.get_sheet_by_name("Rewards").to_python()[0][:7] == [
        "external_id",
        "full_name",
        "email",
        "phone",
        "country",
        "offer",
        "amount",
    ]


async def test_the_error_report_is_uploaded_again_as_it_is(admin, setting):
    """Even to a campaign that takes no other columns: the report's own are always read past."""
    strict = await another_campaign(admin, setting, "Strict", [setting.offer.id], strict_upload_columns=True)
    code = setting.offer.code
    upload = await staging.stage_upload(
        admin, strict.id, csv_file(f"K-1,,,{code},750", f"N-1,Nia,bad-email,{code},750", header=HEADER), "rewards.csv"
    )
    report = await review.error_report_csv(admin, upload.id)
    lines = report.splitlines()
    assert lines[0] == "line,column,code,reason,external_id,full_name,email,offer,amount"
    assert len(lines) == 3  # one line per bad row, its problems joined
    assert lines[2].startswith('3,email; amount,INVALID_EMAIL; INVALID_DENOMINATION,"')
    corrected = report.replace(f",{code},750", f",{code},1000.00").replace(",bad-email,", ",nia@example.com,")
    again = await staging.stage_upload(admin, strict.id, io.BytesIO(corrected.encode("utf-8")), "rewards-errors.csv")
    assert (again.rows_total, again.rows_valid, again.rows_invalid) == (2, 2, 0)
    assert again.ignored_columns == ("line", "column", "code", "reason")
