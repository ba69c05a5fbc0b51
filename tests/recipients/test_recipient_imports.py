"""Recipient imports: a file is stored, checked row by row without writing a recipient (create,
update with the fields that change, unchanged, rejected with the reason), then applied or discarded;
a check cut short by its time budget resumes where it stopped (on SQLite and PostgreSQL)."""

from __future__ import annotations

import io

import pytest

from backend.core.errors import DomainError
from backend.recipients import services as service
from backend.recipients.imports import applying, checking, reading, receiving
from backend.recipients.imports.views import APPLIED, CHECKING, DISCARDED, REFUSED, REVIEWED
from backend.recipients.services import RecipientFilter, RecipientInput

DARWINBOX = (
    "Employee ID,Employee Name,Official Email ID,Mobile Number,Country,Department,Grade,Date of Joining\r\n"
    "E-1,Asha Rao,asha@example.com,+91 98450 12345,IN,Sales,5,15-03-2019\r\n"  # new
    "E-2,Bruno Weber,bruno@example.de,,DE,Logistics,3,01-10-2024\r\n"  # exists: department changes
    "E-3,Chen Li,chen@example.com,,SG,Finance,4,\r\n"  # exists, the same
    "E-4,Dana,not-an-email,,IN,Sales,2,\r\n"  # a bad email
    ",Nobody,,,IN,,,\r\n"  # no external id
    "E-1,Asha Again,asha2@example.com,,IN,Sales,5,\r\n"  # a duplicate of row 1
)


async def _people(admin) -> None:
    await service.upsert_recipient(
        admin,
        RecipientInput(
            external_id="E-2",
            full_name="Bruno Weber",
            email="bruno@example.de",
            country="DE",
            hr_attributes={"department": "Warehouse", "grade": 3, "hire_date": "2024-10-01"},
            source_system="darwinbox",
        ),
    )
    await service.upsert_recipient(
        admin,
        RecipientInput(
            external_id="E-3",
            full_name="Chen Li",
            email="chen@example.com",
            country="SG",
            hr_attributes={"department": "Finance", "grade": 4},
            source_system="darwinbox",
        ),
    )


async def _received(admin, text: str = DARWINBOX, source: str = "darwinbox", mapping=None):
    return await receiving.receive_import(admin, source, io.BytesIO(text.encode()), "employees.csv", mapping)


async def test_the_review_decides_every_row_and_writes_nothing_until_applied(admin) -> None:
    await _people(admin)
    received = await _received(admin)
    assert (received.status, received.progress_total) == (CHECKING, 6)

    checked = await checking.check_import(admin, received.id)
    assert checked.status == REVIEWED
    assert (checked.rows_total, checked.to_create, checked.to_update, checked.unchanged, checked.rejected) == (6, 1, 1, 1, 3)
    rows = (await reading.import_rows(admin, received.id)).rows
    assert [(r.row_number, r.external_id, r.action) for r in rows] == [
        (1, "E-1", "create"),
        (2, "E-2", "update"),
        (3, "E-3", "unchanged"),
        (4, "E-4", "rejected"),
        (5, "", "rejected"),
        (6, "E-1", "rejected"),
    ]
    assert rows[1].changes == "department, tenure"  # tenure: derived from the hire date, new
    assert rows[3].reason.startswith("email: ")
    assert rows[4].reason == "external id: external id is required"
    assert rows[5].reason == "external id: duplicate of row 1"
    rejected = await reading.import_rows(admin, received.id, action="rejected", limit=2)
    assert (rejected.total, [r.row_number for r in rejected.rows]) == (3, [4, 5])
    # Nothing written yet: E-1 unknown, E-2 still in the warehouse.
    assert (await service.search_recipients(admin, RecipientFilter(search="E-1"), 0, 10)).total == 0
    assert (await service.get_recipient(admin, external_id="E-2")).hr_attributes["department"] == "Warehouse"

    applied = await applying.run_apply(admin, (await applying.apply_import(admin, received.id)).id)
    assert (applied.status, applied.created, applied.updated, applied.rejected_on_apply) == (APPLIED, 1, 1, 0)
    asha = await service.get_recipient(admin, external_id="E-1")
    assert (asha.full_name, asha.phone, asha.hr_attributes["grade"], asha.source_system) == (
        "Asha Rao",
        "+919845012345",
        5,
        "darwinbox",
    )
    assert (await service.get_recipient(admin, external_id="E-2")).hr_attributes["department"] == "Logistics"
    with pytest.raises(DomainError) as again:
        await applying.apply_import(admin, received.id)
    assert again.value.code == "NOT_REVIEWED"


async def test_a_check_cut_short_resumes_after_the_last_row_decided(admin, monkeypatch) -> None:
    monkeypatch.setattr(checking, "BATCH", 2)
    received = await _received(admin)
    first = await checking.check_import(admin, received.id, time_budget=0)  # one batch, then stops
    assert (first.status, first.progress_done) == (CHECKING, 2)
    done = await checking.check_import(admin, received.id, time_budget=0)
    assert done.progress_done == 4
    done = await checking.check_import(admin, received.id)
    assert (done.status, done.to_create, done.rejected) == (REVIEWED, 3, 3)  # row 6 still a duplicate of row 1
    rows = (await reading.import_rows(admin, received.id)).rows
    assert [r.row_number for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[5].reason == "external id: duplicate of row 1"


async def test_custom_mapping_xlsx_discard_and_refusals(admin) -> None:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet("People")
    for number, cells in enumerate([["Staff no", "Name", "Mail", "Team"], ["S-9", "Zia Khan", "zia@example.com", "Ops"]]):
        sheet.write_row(number, 0, cells)
    workbook.close()
    mapping = {"Staff no": "external_id", "Name": "full_name", "Mail": "email", "Team": "department"}
    received = await receiving.receive_import(admin, "custom", io.BytesIO(buffer.getvalue()), "people.xlsx", mapping)
    assert received.file_format == "xlsx"
    checked = await checking.check_import(admin, received.id)
    assert (checked.status, checked.to_create) == (REVIEWED, 1)
    discarded = await applying.discard_import(admin, received.id)
    assert discarded.status == DISCARDED
    assert (await service.search_recipients(admin, RecipientFilter(search="S-9"), 0, 10)).total == 0

    with pytest.raises(DomainError) as bad_mapping:
        await _received(admin, source="custom", mapping={"Name": "full_name"})
    assert bad_mapping.value.code == "CUSTOM_MAPPING_INVALID"
    broken = await _received(admin, text='Employee ID,Employee Name\r\n"E-1,unterminated\r\n')
    refused = await checking.check_import(admin, broken.id)
    assert refused.status == REFUSED and "not valid CSV" in refused.refusal
    assert (await reading.import_rows(admin, broken.id)).total == 0
