"""syncRecipients over GraphQL: JSON rows through a preset, a CSV export as a multipart upload,
a custom mapping, rejected rows in the report, refusals that write nothing, and the scope."""

from __future__ import annotations

from test_catalog_api import upload

from backend.core import audit
from backend.recipients.tables import Recipient

SYNC = """
mutation SyncRecipients($input: SyncRecipientsInput!) {
  syncRecipients(input: $input) {
    report { sourceSystem rowsRead created updated unchanged rejected { rowNumber externalId field reason } }
    errors { field code message }
  }
}"""

WORKDAY = [
    {
        "Employee_ID": "21001",
        "Legal_Name": "Asha Rao",
        "Work_Email": "asha.rao@example.com",
        "Country": "IN",
        "Supervisory_Organization": "Sales",
        "Job_Level": "5",
        "Hire_Date": "2019-03-15",
    },
    {"Employee_ID": "21002", "Legal_Name": "No Contact", "Country": "IN"},
]


async def test_workday_rows_sync_and_a_re_sync_is_unchanged(api, key, admin):
    first = (await api.data(SYNC, {"input": {"source": "WORKDAY", "rows": WORKDAY}}, key=key))["syncRecipients"]
    assert first["errors"] == []
    assert first["report"] == {
        "sourceSystem": "workday",
        "rowsRead": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": [
            {
                "rowNumber": 2,
                "externalId": "21002",
                "field": "preferred_channel",
                "reason": "preferred channel email needs a email address",
            }
        ],
    }
    again = (await api.data(SYNC, {"input": {"source": "WORKDAY", "rows": WORKDAY[:1]}}, key=key))["syncRecipients"]
    assert (again["report"]["created"], again["report"]["unchanged"]) == (0, 1)
    (asha,) = await Recipient.select(Recipient.hr_attributes, Recipient.source_system)
    assert asha["source_system"] == "workday"
    (synced, *_) = (await audit.search(admin, audit.AuditFilter(action="recipients.synced"))).rows
    assert synced["actor_label"] == "api-key:payroll sync" and synced["after"]["unchanged"] == 1


async def test_a_darwinbox_csv_upload(api, key):
    export = (
        b"Employee ID,Employee Name,Official Email ID,Mobile Number,Country,Department,Grade,Office Location,Date of Joining\r\n"
        b"DB-1,Ravi Kumar,ravi.kumar@example.in,98123 45678,IN,Operations,7,Pune,15-06-2020\r\n"
        b"DB-2,Meera Nair,meera@example.in,12,IN,Finance,4,Kochi,01-01-2021\r\n"
    )
    data = await upload(
        api,
        SYNC,
        {"input": {"source": "DARWINBOX", "file": None}},
        {"variables.input.file": ("employees.csv", export, "text/csv")},
        key=key,
    )
    report = data["syncRecipients"]["report"]
    assert (report["created"], report["rowsRead"]) == (1, 2)
    assert [(row["rowNumber"], row["externalId"], row["field"]) for row in report["rejected"]] == [(2, "DB-2", "phone")]


async def test_a_custom_mapping_and_refusals_that_write_nothing(api, key):
    rows = [{"Staff": "X1", "Name": "Ola", "Mail": "ola@example.no", "Team": "R&D"}]
    mapping = {"Staff": "external_id", "Name": "full_name", "Mail": "email", "Team": "department"}
    done = (
        await api.data(
            SYNC, {"input": {"source": "CUSTOM", "mapping": mapping, "rows": rows, "sourceSystem": "bamboohr"}}, key=key
        )
    )["syncRecipients"]
    assert done["report"]["sourceSystem"] == "bamboohr" and done["report"]["created"] == 1
    for variables, expected in (
        ({"source": "CUSTOM", "rows": rows}, [("mapping", "CUSTOM_MAPPING_INVALID")]),
        ({"source": "CUSTOM", "mapping": {"Name": "Full Name"}, "rows": rows}, [("mapping", "CUSTOM_MAPPING_INVALID")]),
        ({"source": "WORKDAY"}, [("rows", "ROWS_OR_FILE")]),
        ({"source": "WORKDAY", "rows": WORKDAY, "file": "a,b"}, [("rows", "ROWS_OR_FILE")]),
        ({"source": "WORKDAY", "file": "Employee_ID\\n1"}, [("file", "INVALID")]),
    ):
        payload = (await api.data(SYNC, {"input": variables}, key=key))["syncRecipients"]
        assert payload["report"] is None and [(e["field"], e["code"]) for e in payload["errors"]] == expected, variables
    assert await Recipient.count() == 1


async def test_a_bad_csv_file_writes_nothing(api, key):
    export = "Employee_ID,Legal_Name,Work_Email\r\n1,Ok,ok@example.com\r\n2,Jos\xe9,j@example.com\r\n".encode("latin-1")
    data = await upload(
        api,
        SYNC,
        {"input": {"source": "WORKDAY", "file": None}},
        {"variables.input.file": ("workers.csv", export, "text/csv")},
        key=key,
    )
    assert [(e["field"], e["code"]) for e in data["syncRecipients"]["errors"]] == [("file", "INVALID_ENCODING")]
    assert await Recipient.count() == 0


async def test_sync_needs_recipients_write(api, make_key):
    reader = await make_key("recipients:read", name="reader")
    payload = (await api.data(SYNC, {"input": {"source": "WORKDAY", "rows": WORKDAY}}, key=reader))["syncRecipients"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "FORBIDDEN")]
    assert await Recipient.count() == 0
