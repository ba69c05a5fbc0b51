"""Importing recipients in the console: a Darwinbox export is uploaded, checked by the worker, and
its review shows each row's fate before anything is written; applying it (by the worker) creates
and updates the recipients. A custom mapping that does not name the external id is refused on the form."""

from __future__ import annotations

import os
import sys

import pytest
from arq.connections import RedisSettings, create_pool
from nicegui import ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "jobs"))  # the worker harness

from worker_harness import running_worker

from backend.core import outbox
from backend.recipients import services as service
from backend.recipients.imports import reading
from backend.recipients.services import RecipientFilter, RecipientInput

FILE = (
    "Employee ID,Employee Name,Official Email ID,Country,Department,Grade\r\n"
    "E-1,Asha Rao,asha@example.com,IN,Sales,5\r\n"
    "E-2,Bruno Weber,bruno@example.de,DE,Logistics,3\r\n"
    "E-3,Dana,not-an-email,IN,Sales,2\r\n"
)


@pytest.fixture
async def doorbell(embedded_redis):
    """The console's Redis: receiving and applying ring the worker's job on it."""
    pool = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(pool)
    yield pool
    outbox.set_doorbell(None)
    await pool.aclose()


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


async def test_import_is_reviewed_then_applied_by_the_worker(
    console: User, admin, patience, table, eventually, embedded_redis, doorbell
) -> None:
    await service.upsert_recipient(
        admin, RecipientInput(external_id="E-2", full_name="Bruno Weber", email="bruno@example.de", country="DE")
    )
    await console.open("/recipients")
    await console.should_see(marker="import-recipients", retries=patience)
    console.find(marker="import-recipients").click()
    await console.should_see(marker="import-card", retries=patience)
    element(console, "import-source").set_value("darwinbox")
    await eventually(lambda: element(console, "import-columns").text.startswith("Columns read: Employee ID → external id, "))
    uploader = next(iter(console.find(ui.upload).elements))
    await uploader.handle_uploads([ui.upload.SmallFileUpload("employees.csv", "text/csv", FILE.encode())])
    await console.should_see(marker="import-progress-text", retries=patience)
    assert element(console, "import-status").text == "Checking"
    assert element(console, "import-progress-text").text.startswith("0 of about 3 rows")

    async with running_worker(embedded_redis.url, None):
        await console.should_see(
            "Checked employees.csv: 1 new, 1 to change, 0 unchanged, 1 rejected. Nothing is written until you apply it.",
            retries=patience * 4,
        )
        rows = table(console, "import-rows-table")
        await eventually(lambda: [row["action"] for row in rows.rows] == ["New recipient", "Changes", "Rejected"])
        assert rows.rows[1]["detail"] == "Changes source, department, grade."  # source: manual → darwinbox
        assert rows.rows[2]["detail"].startswith("Email: ")
        assert (await service.search_recipients(admin, RecipientFilter(search="E-1"), 0, 10)).total == 0
        assert element(console, "apply-import").text == "Apply 2 changes"

        console.find(marker="apply-import").click()
        await console.should_see(marker="confirm-dialog", retries=patience)
        console.find(marker="confirm-ok").click()
        await console.should_see("Applied employees.csv: 1 created, 1 updated.", retries=patience * 4)
    assert element(console, "import-status").text == "Applied"
    assert (await service.get_recipient(admin, external_id="E-1")).hr_attributes == {"department": "Sales", "grade": 5}
    assert (await service.get_recipient(admin, external_id="E-2")).hr_attributes["department"] == "Logistics"
    [record] = (await reading.list_imports(admin)).rows
    assert (record.created, record.updated, record.rejected) == (1, 1, 1)


async def test_a_custom_mapping_without_an_external_id_is_refused_on_the_form(console: User, admin, patience, eventually) -> None:
    await console.open("/recipient-imports")
    await console.should_see(marker="import-card", retries=patience)
    element(console, "import-source").set_value("custom")
    console.find(marker="import-mapping").type("Name: full_name")
    uploader = next(iter(console.find(ui.upload).elements))
    await uploader.handle_uploads([ui.upload.SmallFileUpload("people.csv", "text/csv", b"Name\r\nZia\r\n")])
    await eventually(
        lambda: element(console, "import-mapping").error == "Map one column to external_id: it is how a recipient is matched."
    )
    assert (await reading.list_imports(admin)).total == 0  # nothing stored
