"""Nasty files: each a clear, specific error (or the right rows), nothing stored, nothing issued."""

import csv
import io
import os

import openpyxl
import pytest
from upload_steps import HEADER, another_campaign, csv_file

from backend.core.errors import DomainError
from backend.recipients.tables import Recipient
from backend.rewards.services.issuance import RewardRequest  # noqa: F401  (the contract this package issues through)
from backend.rewards.uploads.services import review, staging
from backend.rewards.uploads.services.parsing import UploadLimits, open_upload
from backend.rewards.uploads.tables import RewardUpload, RewardUploadFileChunk, RewardUploadRow


def parsed(data: bytes, name: str = "ipa.csv", **limits):
    reader = open_upload(io.BytesIO(data), name, UploadLimits(**limits) if limits else None)
    return reader, list(reader.rows())


def refused(data: bytes, name: str = "ipa.csv", **limits) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parsed(data, name, **limits)
    assert caught.value.errors[0].field == "file"
    return caught.value


def test_bom_semicolons_quoted_newlines_and_blank_lines():
    data = (
        b"\xef\xbb\xbf"
        + 'External ID;Full Name;offer;denomination\r\nE-1;"Ana\r\nMaria";o;5\r\n\r\n;;;\r\nE-2;B\xc3\xa9a;o;6\r\n'.encode(
            "latin-1"
        )
    )
    reader, rows = parsed(data)
    assert reader.format == "csv" and reader.columns == ("external_id", "full_name", "offer", "denomination")
    assert [(row.line, row.cells["external_id"], row.cells["full_name"]) for row in rows] == [
        (2, "E-1", "Ana\r\nMaria"),
        (6, "E-2", "Béa"),
    ]
    assert reader.size == len(data) and len(reader.sha256) == 64


def test_wrong_header_says_what_is_expected():
    error = refused(b"employee,value\nE-1,5\n")
    assert error.code == "WRONG_HEADER"
    assert "missing: external_id, offer" in error.errors[0].message and "unknown: employee, value" in error.errors[0].message
    assert refused(b"external_id,offer,denomination,offer\nE,o,5,o\n").errors[0].message.endswith("repeated: offer")


def test_empty_and_header_only_files():
    assert refused(b"").code == "EMPTY_FILE"
    assert refused(b"\r\n\r\n").code == "EMPTY_FILE"
    assert refused(HEADER.encode() + b"\r\n\r\n").code == "NO_ROWS"


def test_invalid_utf8_names_the_byte_and_line():
    error = refused(HEADER.encode() + b"\nE-1,Jos\xe9,,,,o,5,\n")
    assert error.code == "INVALID_ENCODING"
    offset = len(HEADER) + 1 + len("E-1,Jos")
    assert f"byte 0xe9 at byte {offset} (line 2)" in error.errors[0].message


def test_ten_megabytes_of_junk_is_refused_early():
    junk = os.urandom(10 * 1024 * 1024 + 17)
    assert refused(junk).code in ("INVALID_ENCODING", "WRONG_HEADER", "LINE_TOO_LONG")
    assert refused(b"z" * (10 * 1024 * 1024 + 17)).code == "LINE_TOO_LONG"  # one endless line
    lines = HEADER.encode() + b"\n" + (b"E," + b"n" * 80 + b",,,,o,5,\n") * 120_000  # 11 MB of rows
    assert refused(lines, max_bytes=10 * 1024 * 1024).code == "FILE_TOO_LARGE"


def test_bounds_on_rows_columns_and_cells():
    assert refused(HEADER.encode() + b"\n" + b"E,n,,,,o,5,\n" * 4, max_rows=3).code == "TOO_MANY_ROWS"
    assert (
        refused(",".join(["external_id", "offer", "denomination"] + [f"attr:k{i}" for i in range(70)]).encode() + b"\n").code
        == "TOO_MANY_COLUMNS"
    )
    _, rows = parsed(HEADER.encode() + b"\nE," + b"n" * 2000 + b",,,,o,5,\n")
    assert [(problem.field, problem.code) for problem in rows[0].problems] == [("full_name", "CELL_TOO_LONG")]
    assert len(rows[0].cells["full_name"]) == 1000


def test_unterminated_quote_is_malformed():
    error = refused(HEADER.encode() + b'\nE-1,"Ana,,,,o,5,\n')
    assert error.code == "MALFORMED_CSV" and "line 2" in error.errors[0].message


def test_legacy_xls_and_broken_xlsx():
    assert refused(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "ipa.xls").code == "UNSUPPORTED_FORMAT"
    assert refused(b"PK\x03\x04 not really a zip", "ipa.xlsx").code == "INVALID_XLSX"


def xlsx(*rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that merely looks like a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_reads_cached_values_as_text_and_never_formulas():
    data = xlsx(
        ["External ID", "offer", "denomination", "phone"],
        ["E-1", "o", 50000, 919812345678],
        [None, None, None, None],
        ['=HYPERLINK("http://evil.example")', "o", 100000.0, None],
    )
    reader, rows = parsed(data, "ipa.xlsx")
    assert reader.format == "xlsx"
    assert [(row.line, row.cells["external_id"], row.cells["denomination"], row.cells["phone"]) for row in rows] == [
        (2, "E-1", "50000", "919812345678"),
        (4, '=HYPERLINK("http://evil.example")', "100000", ""),
    ]


async def test_a_refused_file_stages_no_row(admin, setting):
    for data in (b"", b"nope,nope\n1,2\n", HEADER.encode() + b"\nE-1,Jos\xe9,,,,o,5,\n", b"x" * (10 * 1024 * 1024 + 1)):
        with pytest.raises(DomainError):
            await staging.stage_upload(admin, setting.campaign.id, io.BytesIO(data), "bad.csv")
    # A bad byte far down the file, after whole batches were written: those rows go again.
    rows = [setting.row(f"K-{1 + index % 2}", 50000 if index % 3 else 100000) for index in range(2500)]
    data = csv_file(*rows).getvalue() + b"E-9,\xff,,,,o,5,\r\n"
    with pytest.raises(DomainError) as caught:
        await staging.stage_upload(admin, setting.campaign.id, io.BytesIO(data), "late-bad-byte.csv")
    assert caught.value.code == "INVALID_ENCODING" and "(line 2502)" in caught.value.errors[0].message
    # Each upload is kept refused, with its file for audit (staging.py), and not one row.
    assert {row["status"] for row in await RewardUpload.select(RewardUpload.status)} == {"refused"}
    assert await RewardUploadFileChunk.count() > 0
    assert (await RewardUpload.count(), await RewardUploadRow.count(), await Recipient.count()) == (5, 0, 2)


async def test_a_points_file_for_an_offers_campaign_is_refused(admin, setting):
    with pytest.raises(DomainError) as caught:
        await staging.stage_upload(admin, setting.campaign.id, csv_file("K-1,100", header="external_id,points"), "points.csv")
    assert caught.value.code == "WRONG_HEADER" and "offer, amount (or amount_minor)" in caught.value.errors[0].message


async def test_formula_cells_are_kept_as_text_and_escaped_in_the_error_report(admin, setting):
    evil = '"=HYPERLINK(""http://evil.example"",""click"")"'
    upload = await staging.stage_upload(
        admin,
        setting.campaign.id,
        csv_file(setting.row("K-1"), f"{evil},Eve,,,,{setting.offer.id},50000,", "@SUM(1+1),,,,,,,"),
        "formulas.csv",
    )
    assert (upload.rows_valid, upload.rows_invalid) == (1, 2)  # never evaluated: just text (here: no contact, no name)
    report = list(csv.reader(io.StringIO(await review.error_report_csv(admin, upload.id))))
    assert report[0] == [
        "line",
        "column",
        "code",
        "reason",
        "external_id",
        "full_name",
        "email",
        "phone",
        "country",
        "offer",
        "denomination",
        "channel",
    ]
    assert {(line[0], line[4]) for line in report[1:]} == {
        ("3", '\'=HYPERLINK("http://evil.example","click")'),
        ("4", "'@SUM(1+1)"),
    }
    assert not any(cell.startswith(("=", "@", "+", "-")) for line in report[1:] for cell in line)


async def test_raw_file_is_kept_for_audit(admin, setting):
    source = csv_file(setting.row("K-1"), bom=True, delimiter=";")
    upload = await staging.stage_upload(admin, setting.campaign.id, source, "kept.csv")
    chunks = (
        await RewardUploadFileChunk.select().where(RewardUploadFileChunk.upload == upload.id).order_by(RewardUploadFileChunk.seq)
    )
    assert b"".join(bytes(chunk["content"]) for chunk in chunks) == source.getvalue()
    assert upload.size_bytes == len(source.getvalue()) and upload.rows_valid == 1


async def test_an_xlsx_upload_is_staged_like_a_csv(admin, setting):
    data = xlsx(
        ["external_id", "full_name", "email", "offer", "denomination"],
        ["K-1", None, None, str(setting.offer.id), 50000],
        ["NEW-1", "Nia New", "nia@example.com", str(setting.offer.id), 100000],
        ["NEW-2", "No Mail", None, str(setting.offer.id), 50000],
    )
    upload = await staging.stage_upload(admin, setting.campaign.id, io.BytesIO(data), "ipa.xlsx")
    assert (upload.file_format, upload.rows_total, upload.rows_valid, upload.rows_invalid) == ("xlsx", 3, 2, 1)
    bad = (await review.invalid_rows(admin, upload.id)).rows[0]
    assert (bad.line, bad.problems[0].code) == (4, "MISSING_CONTACT")


def test_empty_trailing_header_cells_of_a_spreadsheet_export_are_not_columns():
    # LibreOffice and Google Sheets export the empty formatted columns after the last one as ",,,".
    data = b"\xef\xbb\xbf" + b"External ID,Full Name,offer,denomination,,,\r\nE-1,Ana,o,5,,,\r\nE-2,Bea,o,6,,,\r\n"
    reader, rows = parsed(data)
    assert reader.columns == ("external_id", "full_name", "offer", "denomination") and reader.ignored_columns == ()
    assert [(row.line, row.cells, row.problems) for row in rows] == [
        (2, {"external_id": "E-1", "full_name": "Ana", "offer": "o", "denomination": "5"}, ()),
        (3, {"external_id": "E-2", "full_name": "Bea", "offer": "o", "denomination": "6"}, ()),
    ]
    semicolons = "external_id;offer;denomination;;\r\nE-1;o;5;;\r\n".encode()  # a European Excel export
    assert [row.cells for row in parsed(semicolons)[1]] == [{"external_id": "E-1", "offer": "o", "denomination": "5"}]
    book = openpyxl.Workbook()
    book.active.append(["external_id", "offer", "denomination", "", ""])
    book.active.append(["E-1", "o", 5, "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    reader, rows = parsed(buffer.getvalue(), "ipa.xlsx")
    assert reader.ignored_columns == () and [(row.cells, row.problems) for row in rows] == [
        ({"external_id": "E-1", "offer": "o", "denomination": "5"}, ())
    ]


def test_unknown_columns_are_read_past_and_named_unless_strict():
    data = "external_id,Notes,offer,denomination,Department\r\nE-1,late,o,5,Sales\r\n".encode()
    reader, rows = parsed(data)
    assert (reader.columns, reader.ignored_columns) == (("external_id", "offer", "denomination"), ("Notes", "Department"))
    assert [row.cells for row in rows] == [{"external_id": "E-1", "offer": "o", "denomination": "5"}]
    with pytest.raises(DomainError) as caught:
        open_upload(io.BytesIO(data), "ipa.csv", strict_columns=True)
    assert caught.value.code == "WRONG_HEADER" and caught.value.errors[0].message.endswith(
        "this campaign takes no other columns; unknown: Notes, Department"
    )


def workbook(**sheets) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_sheet_with_the_header_is_read_wherever_it_is():
    data = workbook(
        Summary=[["Q3 spot awards"], ["Total", 2]],
        Rewards=[["external_id", "offer", "denomination"], ["E-1", "o", 50000], ["E-2", "o", 100000]],
    )
    reader, rows = parsed(data, "ipa.xlsx")
    assert reader.sheet_name == "Rewards"
    assert [(row.line, row.cells["external_id"], row.cells["denomination"]) for row in rows] == [
        (2, "E-1", "50000"),
        (3, "E-2", "100000"),
    ]
    error = refused(workbook(Summary=[["Total", 2]], Notes=[], Raw=[["employee", "amount"]]), "ipa.xlsx")
    assert error.code == "WRONG_HEADER"
    assert error.errors[0].message.endswith(
        "the sheets found: 'Summary' (first row: Total, 2); 'Notes' (its first row is empty); 'Raw' (first row: employee, amount)"
    )


def test_a_header_of_thousands_of_columns_says_how_many():
    header = ",".join(["external_id", "offer", "denomination"] + [f"attr:metric_{index}" for index in range(6997)])
    assert len(header) > 64 * 1024
    error = refused(b"\xef\xbb\xbf" + header.encode() + b"\r\nE-1,o,5\r\n")
    assert (error.code, error.errors[0].message) == (
        "TOO_MANY_COLUMNS",
        "the header has 7,000 columns; at most 60 (and at most 65,536 characters a line)",
    )
    wide_row = "E-1;o;5;" + ";".join("x" * 20 for _ in range(4000))
    error = refused(f"external_id;offer;denomination\r\n{wide_row}\r\n".encode())
    assert (error.code, error.errors[0].message) == (
        "LINE_TOO_LONG",
        f"line 2 has {len(wide_row) + 2:,} characters in 4,003 fields; a line has at most 65,536 characters and 60 columns: "
        "is this a CSV file?",
    )


async def test_extra_columns_of_a_real_export_are_ignored_and_named_in_the_review(admin, setting):
    # A Google Sheets export: the HR team's notes and department beside the upload's columns.
    rows = [f"{setting.row('K-1')},late joiner,Sales", f"{setting.row('K-2', 100000)},,Finance"]
    data = csv_file(*rows, header=HEADER + ",notes,Department")
    upload = await staging.stage_upload(admin, setting.campaign.id, data, "q3.csv")
    assert (upload.rows_valid, upload.rows_invalid, upload.ignored_columns) == (2, 0, ("notes", "Department"))
    assert upload.notices == ("2 columns ignored: notes, Department",)
    assert upload.columns == tuple(HEADER.split(","))

    strict = await another_campaign(admin, setting, "Strict template", [setting.offer.id], strict_upload_columns=True)
    assert strict.strict_upload_columns
    with pytest.raises(DomainError) as caught:
        await staging.stage_upload(admin, strict.id, csv_file(*rows, header=HEADER + ",notes,Department"), "q3.csv")
    assert caught.value.code == "WRONG_HEADER"
    assert caught.value.errors[0].message.endswith("this campaign takes no other columns; unknown: notes, Department")
