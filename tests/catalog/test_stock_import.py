"""Voucher files: the edge cases partners actually send."""

import io
from datetime import timedelta

import pytest
from catalogue_steps import offer_input, stock_file

from backend.catalog.services import offers, stock, stock_import
from backend.catalog.tables import VoucherCode, VoucherImport
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.encryption import secret_box
from backend.core.errors import DomainError

FUTURE = (utcnow().date() + timedelta(days=200)).isoformat()


async def imported(admin, offer, source, **options):
    return await stock_import.import_voucher_codes(admin, offer.id, source, "partner-codes.csv", **options)


def rejected(report) -> list[tuple[int, str]]:
    return [(row.line, row.reason) for row in report.rejected]


async def test_good_rows_are_imported_and_sealed(admin, draft_offer):
    report = await imported(admin, draft_offer, stock_file(f"CP-0001,1111,50000,{FUTURE}", "CP-0002,,100000,"))
    assert (report.rows_read, report.rows_imported, report.rejected, report.dry_run) == (2, 2, (), False)
    rows = await VoucherCode.select().order_by(VoucherCode.denomination)
    assert all("CP-000" not in row["code_sealed"] for row in rows)  # encrypted at rest
    assert secret_box().open(rows[0]["code_sealed"], str(rows[0]["id"])) == "CP-0001"
    assert rows[1]["pin_sealed"] is None and str(rows[0]["expires_on"])[:10] == FUTURE
    page = await stock.list_voucher_codes(admin, draft_offer.id)
    assert sorted(code.code_masked for code in page.rows) == ["••••••••0001", "••••••••0002"]
    assert {code.pin_masked for code in page.rows} == {"••••••••", None}
    levels = await stock.stock_levels(admin, draft_offer.id)
    assert [(level.denomination, level.available) for level in levels] == [(50000, 1), (100000, 1)]
    imports = await stock_import.voucher_imports(admin, draft_offer.id)
    assert imports[0].rows_imported == 2 and imports[0].size_bytes == report.size_bytes and len(imports[0].sha256) == 64
    assert (await audit.entity_history(admin, "offer", draft_offer.id))[0]["action"] == "voucher_stock.imported"


async def test_bad_rows_are_reported_with_line_and_reason(admin, draft_offer):
    report = await imported(
        admin,
        draft_offer,
        stock_file(
            "GOOD-1,1,50000,",
            ",1,50000,",  # 3: empty code
            "GOOD-2,1,500.00,",  # 4: not minor units
            "GOOD-3,1,75000,",  # 5: not a denomination of the offer
            "GOOD-4,1,50000,31/12/2030",  # 6: not ISO
            "GOOD-5,1,50000,2020-01-01",  # 7: expired
            "GOOD-6,1,50000",  # 8: a field short
            "",  # 9: blank lines are skipped
            "GOOD-1,9,100000,",  # 10: duplicate within the file
            '"MULTI',  # 11-12: a quoted code spanning lines
            'LINE",1,50000,',
            "GOOD-7,1,50000,",  # 13
        ),
    )
    assert rejected(report) == [
        (3, "code is empty"),
        (
            4,
            "denomination '500.00' is not a whole number of minor units (e.g. 50000 for ₹500.00; or use an amount column: 500.00)",
        ),
        (5, "₹750.00 is not a denomination of this offer (₹500.00, ₹1,000.00)"),
        (6, "expiry '31/12/2030' is not a date (YYYY-MM-DD)"),
        (7, "the code expires on 2020-01-01, today or earlier"),
        (8, "expected 4 fields, found 3"),
        (10, "duplicate of the code on line 2"),
        (11, "code is longer than 128 characters or holds control characters"),
    ]
    assert (report.rows_read, report.rows_imported) == (10, 2) and await VoucherCode.count() == 2
    csv_report = await stock_import.import_rejections_csv(admin, report.id)
    assert csv_report.splitlines()[:2] == ["line,reason", "3,code is empty"]


async def test_codes_already_in_stock_are_rejected_even_from_another_offer_of_the_partner(admin, draft_offer, onboarding_partner):
    await imported(admin, draft_offer, stock_file("SAME-1,1,50000,", "SAME-2,1,50000,"))
    sibling = await offers.create_offer(admin, onboarding_partner.id, offer_input(title="Sibling"))
    report = await imported(admin, sibling, stock_file("SAME-2,1,50000,", "NEW-1,1,50000,"))
    assert rejected(report) == [(2, "the code is already in stock")] and report.rows_imported == 1
    assert await VoucherCode.count() == 3


async def test_bom_and_semicolons_and_header_case_are_understood(admin, draft_offer):
    report = await imported(
        admin, draft_offer, stock_file("S-1;1;50000;", "S-2;2;100000;" + FUTURE, header="Code;PIN;Denomination;Expiry", bom=True)
    )
    assert (report.rows_imported, report.rejected) == (2, ())


async def test_pin_and_expiry_columns_are_optional_and_may_come_in_any_order(admin, draft_offer):
    report = await imported(admin, draft_offer, stock_file("50000,O-1", "100000,O-2", header="denomination,code"))
    assert report.rows_imported == 2


# Factories, not streams: each database run reads its own copy.
@pytest.mark.parametrize(
    "source, code, message",
    [
        (lambda: stock_file("A,1,50000", header="code,pin,value"), "WRONG_HEADER", "missing: amount; unknown: value"),
        (lambda: stock_file("A,A,50000", header="code,code,denomination"), "WRONG_HEADER", "repeated: code"),
        (
            lambda: stock_file("A,1,50000,", header="voucher,pin,denomination,expiry"),
            "WRONG_HEADER",
            "missing: code; unknown: voucher",
        ),
        (lambda: io.BytesIO(b""), "EMPTY_FILE", "the file is empty"),
        (
            lambda: io.BytesIO("code,denomination\r\nCAFÉ-1,50000\r\n".encode("latin-1")),
            "INVALID_ENCODING",
            "line 2 is not UTF-8 (byte 0xc9 at column 4)",
        ),
        (lambda: io.BytesIO(b'code,denomination\r\n"A"B,50000\r\n'), "MALFORMED_CSV", "line 2:"),
        (
            lambda: io.BytesIO(b"code,denomination\r\n" + b"A" * 5000 + b",50000\r\n"),
            "LINE_TOO_LONG",
            "line 2 is longer than 4096 bytes",
        ),
    ],
    ids=["missing-column", "repeated-column", "no-code-column", "empty", "latin-1", "bad-quoting", "long-line"],
)
async def test_file_level_problems_import_nothing(admin, draft_offer, source, code, message):
    with pytest.raises(DomainError) as caught:
        await imported(admin, draft_offer, source())
    assert caught.value.code == code and message in caught.value.errors[0].message
    assert await VoucherCode.count() == 0 and await VoucherImport.count() == 0


async def test_an_encoding_error_late_in_the_file_rolls_back_the_earlier_rows(admin, draft_offer):
    rows = b"".join(f"EARLY-{i},1,50000,\r\n".encode() for i in range(1200))  # more than one insert batch
    source = io.BytesIO(b"code,pin,denomination,expiry\r\n" + rows + b"BAD-\xff,1,50000,\r\n")
    with pytest.raises(DomainError) as caught:
        await imported(admin, draft_offer, source)
    assert caught.value.code == "INVALID_ENCODING" and "line 1202" in caught.value.errors[0].message
    assert await VoucherCode.count() == 0 and await VoucherImport.count() == 0


async def test_a_dry_run_reports_and_writes_nothing(admin, draft_offer):
    await imported(admin, draft_offer, stock_file("OLD-1,1,50000,"))
    report = await imported(admin, draft_offer, stock_file("OLD-1,1,50000,", "NEW-1,1,50000,", "NEW-1,1,50000,"), dry_run=True)
    assert report.dry_run and report.id is None and report.rows_imported == 1
    assert rejected(report) == [(2, "the code is already in stock"), (4, "duplicate of the code on line 3")]
    assert await VoucherCode.count() == 1 and await VoucherImport.count() == 1


async def test_a_retired_offer_takes_no_stock(admin, draft_offer):
    await offers.change_offer_status(admin, draft_offer.id, "retired")
    with pytest.raises(DomainError) as caught:
        await imported(admin, draft_offer, stock_file("X-1,1,50000,"))
    assert caught.value.code == "OFFER_RETIRED"
