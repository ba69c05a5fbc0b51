"""Texts a recipient cannot hold (control characters) and texts longer than their columns are
refused by the service with a field error, the same on SQLite and PostgreSQL, and nothing changes."""

from __future__ import annotations

import pytest

from backend.core.errors import DomainError
from backend.recipients import services
from backend.recipients.hr_sync import SourceSystem, sync_recipients
from backend.recipients.services.views import RecipientInput
from backend.recipients.tables import Recipient


def person(**changes) -> RecipientInput:
    return RecipientInput(**{"external_id": "E-1", "full_name": "Asha Rao", "email": "asha@example.com", **changes})


async def refusal(admin, data: RecipientInput) -> list[tuple[str, str]]:
    with pytest.raises(DomainError) as raised:
        await services.upsert_recipient(admin, data)
    assert await Recipient.count() == 0
    return [(error.field, error.code) for error in raised.value.errors]


async def test_a_full_name_longer_than_its_column_is_too_long(admin):
    # Was: stored whole on SQLite, a masked server error on PostgreSQL (varchar(200)).
    assert await refusal(admin, person(full_name="A" * 201)) == [("full_name", "TOO_LONG")]
    await services.upsert_recipient(admin, person(full_name="A" * 200))
    assert (await services.get_recipient(admin, external_id="E-1")).full_name == "A" * 200


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"external_id": "E\x00-1"}, "external_id"),
        ({"full_name": "Asha\x00Rao"}, "full_name"),
        ({"full_name": "Asha\nRao"}, "full_name"),
        ({"email": "asha\x00@example.com"}, "email"),
        ({"source_system": "work\x00day"}, "source_system"),
        ({"hr_attributes": {"department": "Sa\x00les"}}, "hr_attributes"),
        ({"full_name": "Asha \ud800"}, "full_name"),  # a lone surrogate cannot be encoded at all
    ],
)
async def test_a_control_character_in_any_recipient_text_is_refused_naming_the_field(admin, changes, field):
    assert await refusal(admin, person(**changes)) == [(field, "INVALID_CHARACTERS")]


async def test_a_nul_in_a_filter_or_a_lookup_is_refused(admin):
    with pytest.raises(DomainError, match="INVALID_CHARACTERS"):
        await services.recipients_after(admin, services.RecipientFilter(search="a\x00"), None, 10)
    with pytest.raises(DomainError, match="INVALID_CHARACTERS"):
        await services.get_recipient(admin, external_id="E\x00")


async def test_a_sync_rejects_the_row_with_a_nul_and_keeps_the_others(admin):
    # Was, on PostgreSQL: the batch's lookup of its external ids failed, and the whole sync with it.
    rows = [
        {"Employee_ID": "21001", "Legal_Name": "Asha Rao", "Work_Email": "asha@example.com", "Country": "IN"},
        {"Employee_ID": "21\x0002", "Legal_Name": "Bo Li", "Work_Email": "bo@example.com", "Country": "IN"},
        {"Employee_ID": "21003", "Legal_Name": "Cy\x00 Ng", "Work_Email": "cy@example.com", "Country": "IN"},
    ]
    report = await sync_recipients(admin, SourceSystem.WORKDAY, rows)
    assert report.created == 1
    assert [(row.row_number, row.field) for row in report.rejected] == [(2, "external_id"), (3, "full_name")]
    assert all("U+0000" in row.reason for row in report.rejected)
    assert [row["external_id"] for row in await Recipient.select(Recipient.external_id)] == ["21001"]
