"""HR sync: each preset maps a real export's columns, a custom mapping, rejected rows with their
reasons, and an idempotent re-sync (on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from backend.catalog.eligibility import evaluate, parse, recipient_attributes
from backend.core import audit
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.recipients import hr_sync, services
from backend.recipients.hr_sync import FieldMapping, SourceSystem, rows_from_csv, sync_recipients, whole_years
from backend.recipients.services.views import RecipientInput
from backend.recipients.tables import Recipient


def years_since(day: str) -> int:
    return whole_years(date.fromisoformat(day), utcnow().date())


WORKDAY_ROWS = [
    {
        "Employee_ID": "21001",
        "Legal_Name": "Asha Rao",
        "Preferred_Name": "Asha",
        "Work_Email": "asha.rao@example.com",
        "Country": "IN",
        "Business_Unit": "Retail",
        "Supervisory_Organization": "Sales",
        "Job_Level": "5",
        "Management_Level": "Manager",
        "Location": "Bengaluru",
        "Hire_Date": "2019-03-15",
    },
    {
        "Employee_ID": "21002",
        "Legal_Name": "Bruno Weber",
        "Work_Email": "bruno.weber@example.de",
        "Country": "DEU",
        "Business_Unit": "Logistics",
        "Job_Level": "3",
        "Location": "Hamburg",
        "Hire_Date": "01/10/2024",
    },
]


async def stored(external_id: str):
    return await services.get_recipient(SYSTEM, external_id=external_id)


async def test_workday_preset_maps_names_contacts_and_rule_attributes(admin):
    report = await sync_recipients(admin, SourceSystem.WORKDAY, WORKDAY_ROWS)
    assert (report.created, report.updated, report.unchanged, report.rejected, report.rows_read) == (2, 0, 0, (), 2)
    asha = await stored("21001")
    assert (asha.full_name, asha.email, asha.country, asha.source_system) == ("Asha", "asha.rao@example.com", "IN", "workday")
    assert asha.hr_attributes == {
        "business_unit": "Retail",
        "department": "Sales",
        "grade": 5,
        "management_level": "Manager",
        "location": "Bengaluru",
        "hire_date": "2019-03-15",
        "tenure": years_since("2019-03-15"),
    }
    bruno = await stored("21002")
    assert (bruno.full_name, bruno.country, bruno.hr_attributes["hire_date"]) == ("Bruno Weber", "DE", "2024-01-10")
    # What the eligibility rules read, under the names they use:
    attributes = recipient_attributes(asha.hr_attributes, country=asha.country)
    assert evaluate(parse('grade >= 5 and department == "Sales" and country in [IN] and tenure >= 2'), attributes)


async def test_successfactors_preset_joins_first_and_last_name_and_reads_odata_dates(admin):
    rows = [
        {
            "userId": "sf-77",
            "firstName": "Mei",
            "lastName": "Tan",
            "email": "mei.tan@example.sg",
            "department": "Finance",
            "division": "APAC",
            "location": "Singapore",
            "jobCode": "FIN-02",
            "hireDate": "/Date(1546300800000)/",
            "country": "SG",
            "cellPhone": "+65 6123 4567",
        }
    ]
    report = await sync_recipients(admin, SourceSystem.SUCCESSFACTORS, rows)
    assert report.created == 1 and report.rejected == ()
    mei = await stored("sf-77")
    assert (mei.full_name, mei.phone, mei.source_system) == ("Mei Tan", "+6561234567", "successfactors")
    assert mei.hr_attributes == {
        "department": "Finance",
        "business_unit": "APAC",
        "location": "Singapore",
        "job_code": "FIN-02",
        "hire_date": "2019-01-01",
        "tenure": years_since("2019-01-01"),
    }


async def test_darwinbox_preset_from_a_csv_export(admin):
    export = (
        "Employee ID,Employee Name,Official Email ID,Mobile Number,Country,Department,Grade,Band,Office Location,Date of Joining\r\n"
        "DB-1,Ravi Kumar,ravi.kumar@example.in,98123 45678,IN,Operations,G7,B2,Pune,15-06-2020\r\n"
    )
    rows = list(rows_from_csv(io.BytesIO(b"\xef\xbb\xbf" + export.encode())))
    report = await sync_recipients(admin, SourceSystem.DARWINBOX, rows)
    assert report.created == 1, report.rejected
    ravi = await stored("DB-1")
    assert (ravi.full_name, ravi.phone, ravi.source_system) == ("Ravi Kumar", "+919812345678", "darwinbox")
    assert ravi.hr_attributes == {
        "department": "Operations",
        "grade": "G7",
        "band": "B2",
        "location": "Pune",
        "hire_date": "2020-06-15",
        "tenure": years_since("2020-06-15"),
    }


async def test_a_custom_mapping(admin):
    mapping = FieldMapping.custom(
        {
            "Staff No": "external_id",
            "Name": "full_name",
            "Mail": "email",
            "Team": "department",
            "Started": "hire_date",
            "Level": "grade",
        }
    )
    report = await sync_recipients(
        admin,
        mapping,
        [
            {
                "Staff No": "X1",
                "Name": "Ola",
                "Mail": "ola@example.no",
                "Team": "R&D",
                "Started": "2022-02-01",
                "Level": "4",
                "Ignored": "x",
            }
        ],
        source_system="bamboohr",
    )
    assert report.created == 1
    ola = await stored("X1")
    assert ola.source_system == "bamboohr"
    assert ola.hr_attributes == {"department": "R&D", "hire_date": "2022-02-01", "tenure": years_since("2022-02-01"), "grade": 4}


def test_a_custom_mapping_is_checked():
    with pytest.raises(DomainError) as refused:
        FieldMapping.custom({"Name": "full_name", "Team": "Department"})
    assert {error.code for error in refused.value.errors} == {"CUSTOM_MAPPING_INVALID"}
    with pytest.raises(DomainError, match="external_id"):
        FieldMapping.custom({"Name": "full_name"})
    with pytest.raises(DomainError, match="only with CUSTOM"):
        hr_sync.mapping_for(SourceSystem.WORKDAY, {"a": "external_id"})


async def test_bad_rows_are_rejected_with_reasons_and_the_rest_are_written(admin):
    rows = [
        WORKDAY_ROWS[0],
        {"Employee_ID": "21003", "Legal_Name": "No Mail", "Country": "IN"},  # default channel email needs an address
        {"Employee_ID": "21004", "Legal_Name": "Bad Mail", "Work_Email": "not-an-email", "Country": "Narnia"},
        {"Legal_Name": "No Id", "Work_Email": "x@example.com"},
        {"Employee_ID": "21005", "Legal_Name": "Bad Date", "Work_Email": "d@example.com", "Hire_Date": "the 3rd of May"},
        {**WORKDAY_ROWS[0], "Legal_Name": "Asha again"},
    ]
    report = await sync_recipients(admin, SourceSystem.WORKDAY, rows)
    assert report.created == 1
    reasons = {(r.row_number, r.external_id, r.field) for r in report.rejected}
    assert reasons == {
        (2, "21003", "preferred_channel"),
        (3, "21004", "country"),
        (3, "21004", "email"),
        (4, None, "external_id"),
        (5, "21005", "hire_date"),
        (6, "21001", "external_id"),
    }
    assert next(r.reason for r in report.rejected if r.row_number == 6) == "duplicate of row 1"
    assert await Recipient.count() == 1


async def test_a_re_sync_reports_unchanged_and_writes_nothing_then_updates_what_changed(admin):
    await sync_recipients(admin, SourceSystem.WORKDAY, WORKDAY_ROWS)
    before = await stored("21001")
    entries = (await audit.search(admin, audit.AuditFilter(entity_type="recipient"))).total
    again = await sync_recipients(admin, SourceSystem.WORKDAY, WORKDAY_ROWS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (await stored("21001")).updated_at == before.updated_at
    assert (await audit.search(admin, audit.AuditFilter(entity_type="recipient"))).total == entries
    moved = [{**WORKDAY_ROWS[0], "Location": "Mumbai", "Job_Level": "6"}, WORKDAY_ROWS[1]]
    changed = await sync_recipients(admin, SourceSystem.WORKDAY, moved)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    asha = await stored("21001")
    assert (asha.hr_attributes["location"], asha.hr_attributes["grade"]) == ("Mumbai", 6)
    newest = (await audit.search(admin, audit.AuditFilter(entity_type="recipient"))).rows[0]
    assert newest["action"] == "recipient.updated" and newest["before"]["hr_attributes"]["location"] == "Bengaluru"
    syncs = (await audit.search(admin, audit.AuditFilter(action="recipients.synced"))).rows
    assert [(s["after"]["created"], s["after"]["updated"], s["after"]["unchanged"]) for s in syncs] == [
        (0, 1, 1),
        (0, 0, 2),
        (2, 0, 0),
    ]


async def test_a_sync_keeps_what_its_mapping_does_not_cover(admin):
    await services.upsert_recipient(
        admin,
        RecipientInput(
            external_id="21001",
            full_name="Asha",
            email="asha.rao@example.com",
            whatsapp="+919812345678",
            country="IN",
            preferred_channel="whatsapp",
            hr_attributes={"shirt_size": "M", "department": "Old"},
        ),
    )
    report = await sync_recipients(admin, SourceSystem.WORKDAY, [WORKDAY_ROWS[0]])
    assert report.updated == 1
    asha = await stored("21001")
    assert (asha.whatsapp, asha.preferred_channel, asha.hr_attributes["shirt_size"], asha.hr_attributes["department"]) == (
        "+919812345678",
        "whatsapp",
        "M",
        "Sales",
    )


async def test_many_rows_are_written_in_batches(admin):
    rows = [{"Employee_ID": f"E{n:04}", "Legal_Name": f"Person {n}", "Work_Email": f"p{n}@example.com"} for n in range(1203)]
    report = await sync_recipients(admin, SourceSystem.WORKDAY, rows)
    assert (report.created, report.rejected) == (1203, ())
    assert await Recipient.count() == 1203


async def test_a_bad_csv_file_is_refused_as_a_whole():
    with pytest.raises(DomainError) as refused:
        list(rows_from_csv(io.BytesIO("Employee_ID,Legal_Name\r\n1,Jos\xe9\r\n".encode("latin-1"))))
    assert refused.value.code == "INVALID_ENCODING"
    with pytest.raises(DomainError) as refused:
        list(rows_from_csv(io.BytesIO(b"")))
    assert refused.value.code == "EMPTY_FILE"


async def test_needs_recipients_write(db):
    from backend.access.roles import permissions_for
    from backend.core.authz import Actor, ActorKind
    from backend.core.ids import new_id

    viewer = Actor(kind=ActorKind.USER, id=new_id(), label="viewer", permissions=permissions_for(["viewer"]))
    with pytest.raises(DomainError) as refused:
        await sync_recipients(viewer, SourceSystem.WORKDAY, WORKDAY_ROWS)
    assert refused.value.code == "FORBIDDEN"
