"""What the console's recipient list and form ask of the service: an HR attribute filter (name and
value bound, numbers matched as text), the attribute names, and adding that never overwrites."""

from __future__ import annotations

import pytest

from backend.core.errors import DomainError
from backend.recipients import services
from backend.recipients.services.search import RecipientFilter
from backend.recipients.services.views import RecipientInput


async def _people(admin) -> None:
    for external_id, name, attributes in (
        ("E-1", "Asha", {"grade": 7, "department": "Sales"}),
        ("E-2", "Bela", {"grade": 3, "department": "sales"}),
        ("E-3", "Chen", {"grade": 7, "team": "it's ops"}),
    ):
        await services.upsert_recipient(
            admin, RecipientInput(external_id=external_id, full_name=name, email=f"{name}@example.com", hr_attributes=attributes)
        )


async def test_the_attribute_filter_matches_text_and_numbers_on_the_server(admin) -> None:
    await _people(admin)

    async def names(attribute: str, value: str) -> list[str]:
        page = await services.search_recipients(admin, RecipientFilter(attribute=attribute, attribute_value=value))
        return [person.full_name for person in page.rows]

    assert await names("grade", "7") == ["Asha", "Chen"]
    assert await names("department", "SALES") == ["Asha", "Bela"]
    assert await names("team", "it's ops") == ["Chen"]  # quotes are values, bound, not SQL
    assert await names("grade", "1' OR '1'='1") == []
    assert await names("nothing", "7") == []
    assert await services.attribute_names(admin) == ["department", "grade", "team"]


async def test_adding_refuses_a_taken_external_id_and_changes_nothing(admin) -> None:
    await _people(admin)
    with pytest.raises(DomainError) as refused:
        await services.create_recipient(admin, RecipientInput(external_id="E-1", full_name="Other", email="o@example.com"))
    assert [(e.field, e.code) for e in refused.value.errors] == [("external_id", "EXTERNAL_ID_TAKEN")]
    assert (await services.get_recipient(admin, external_id="E-1")).full_name == "Asha"
    with pytest.raises(DomainError) as invalid:
        await services.create_recipient(admin, RecipientInput(external_id="E-9", full_name="", email="not an email"))
    assert {e.field for e in invalid.value.errors} >= {"full_name", "email"}
    made = await services.create_recipient(admin, RecipientInput(external_id="E-9", full_name="Dara", email="d@example.com"))
    assert made.external_id == "E-9"
