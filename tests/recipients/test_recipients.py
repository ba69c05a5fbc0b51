import uuid

import pytest

from backend.core import audit
from backend.core.errors import DomainError, PermissionDenied
from backend.recipients import services as recipients
from backend.recipients.services.search import RecipientFilter
from backend.recipients.services.views import RecipientInput
from backend.recipients.tables import Recipient


async def test_contacts_are_normalised(admin):
    result = await recipients.upsert_recipient(
        admin,
        RecipientInput(
            external_id=" W-100 ",
            full_name="Asha Rao",
            email="Asha@Example.COM",
            phone="098123 45678",
            whatsapp="+49 151 23456789",
            country="ind",
            preferred_channel="WhatsApp",
            hr_attributes={"department": "Sales", "grade": 5},
            source_system="workday",
        ),
    )
    r = result.recipient
    assert result.created and r.external_id == "W-100"
    assert (r.email, r.phone, r.whatsapp, r.country, r.preferred_channel) == (
        "Asha@example.com",
        "+919812345678",
        "+4915123456789",
        "IN",
        "whatsapp",
    )
    assert r.hr_attributes == {"department": "Sales", "grade": 5}


async def test_every_problem_is_reported_at_once_and_nothing_is_written(admin):
    with pytest.raises(DomainError) as refused:
        await recipients.upsert_recipient(
            admin,
            RecipientInput(
                external_id="",
                full_name=" ",
                email="no-at-sign",
                phone="12",
                country="Narnia",
                preferred_channel="pigeon",
                hr_attributes={"Bad Key": 1, "score": 1.5},
            ),
        )
    codes = {(error.field, error.code) for error in refused.value.errors}
    assert codes >= {
        ("external_id", "REQUIRED"),
        ("full_name", "REQUIRED"),
        ("email", "INVALID_EMAIL"),
        ("phone", "INVALID_PHONE"),
        ("country", "INVALID_COUNTRY"),
        ("preferred_channel", "INVALID_CHANNEL"),
        ("hr_attributes", "INVALID_KEY"),
        ("hr_attributes", "INVALID_VALUE"),
    }
    assert await Recipient.count() == 0


async def test_preferred_channel_needs_its_contact(admin):
    with pytest.raises(DomainError) as refused:
        await recipients.upsert_recipient(
            admin, RecipientInput(external_id="X", full_name="No Phone", email="a@example.com", preferred_channel="sms")
        )
    assert refused.value.errors[0].code == "MISSING_CONTACT"


async def test_upsert_by_external_id_is_idempotent(admin):
    data = RecipientInput(external_id="E-1", full_name="Bo", email="bo@example.com")
    first = await recipients.upsert_recipient(admin, data)
    again = await recipients.upsert_recipient(admin, data)
    assert first.created and not again.created and again.recipient.id == first.recipient.id
    assert (await audit.search(admin, audit.AuditFilter(entity_type="recipient"))).total == 1
    changed = await recipients.upsert_recipient(admin, RecipientInput(external_id="E-1", full_name="Bo", email="bo@example.org"))
    assert changed.recipient.email == "bo@example.org" and await Recipient.count() == 1


async def test_search_filters_and_pages(admin):
    for index in range(12):
        await recipients.upsert_recipient(
            admin,
            RecipientInput(
                external_id=f"E-{index:02}",
                full_name=f"Person {index:02}",
                email=f"p{index}@example.com",
                country="DE" if index % 2 else "IN",
                source_system="sap" if index < 4 else "workday",
            ),
        )
    page = await recipients.search_recipients(admin, RecipientFilter(country="DE"), offset=0, limit=4)
    assert page.total == 6 and [r.full_name for r in page.rows] == ["Person 01", "Person 03", "Person 05", "Person 07"]
    assert (await recipients.search_recipients(admin, RecipientFilter(search="person 1"))).total == 2
    assert (await recipients.search_recipients(admin, RecipientFilter(search="P3@EXAMPLE"))).total == 1
    assert (await recipients.search_recipients(admin, RecipientFilter(source_system="sap"))).total == 4
    # keyset pages: no gaps, no duplicates
    seen, after = [], None
    while batch := await recipients.recipients_after(admin, RecipientFilter(), after, 5):
        seen += [r.external_id for r in batch]
        after = batch[-1].id
    assert sorted(seen) == [f"E-{i:02}" for i in range(12)] and len(set(seen)) == 12


async def test_search_treats_wildcards_as_text(admin):
    await recipients.upsert_recipient(admin, RecipientInput(external_id="A_1", full_name="Under Score", email="u@example.com"))
    await recipients.upsert_recipient(admin, RecipientInput(external_id="AB1", full_name="No Score", email="n@example.com"))
    assert [r.external_id for r in (await recipients.search_recipients(admin, RecipientFilter(search="A_1"))).rows] == ["A_1"]


async def test_programmes(admin):
    programme = await recipients.create_programme(admin, "Sales Stars", "inr", "0.25")
    assert (programme.currency, programme.point_value_micros, str(programme.point_value)) == ("INR", 250_000, "0.25")
    with pytest.raises(DomainError) as refused:
        await recipients.create_programme(admin, "", "ABC", "-1")
    assert {e.code for e in refused.value.errors} == {"REQUIRED", "INVALID_CURRENCY", "INVALID_POINT_VALUE"}
    with pytest.raises(DomainError, match="NAME_TAKEN"):
        await recipients.create_programme(admin, "Sales Stars", "EUR", "1")
    with pytest.raises(DomainError, match="INVALID_POINT_VALUE"):
        await recipients.create_programme(admin, "Tiny", "EUR", "0.0000001")
    assert (await recipients.list_programmes(admin)).total == 1


async def test_a_programme_in_a_currency_without_minor_units_is_refused(admin):
    with pytest.raises(DomainError) as refused:
        await recipients.create_programme(admin, "Gold club", "XAU", "1")
    assert [(e.field, e.code, e.message) for e in refused.value.errors] == [
        ("currency", "INVALID_CURRENCY", "XAU has no minor unit in ISO 4217: amounts cannot be kept in it")
    ]
    yen = await recipients.create_programme(admin, "Yen club", "jpy", "0.5")
    assert (yen.currency, [p.name for p in (await recipients.list_programmes(admin)).rows]) == ("JPY", ["Yen club"])


async def test_reading_and_writing_need_permissions(admin):
    from backend.access import services as access

    agent = access.actor_for_user(
        await access.create_user(admin, "a@example.com", "Agent", "correct horse battery", ["support_agent"])
    )
    await recipients.search_recipients(agent, RecipientFilter())
    with pytest.raises(PermissionDenied):
        await recipients.upsert_recipient(agent, RecipientInput(external_id="Z", full_name="Z", email="z@example.com"))
    with pytest.raises(PermissionDenied):
        await recipients.create_programme(agent, "P", "EUR", "1")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "REQUIRED"),
        (None, "REQUIRED"),
        ("0", "INVALID_POINT_VALUE"),
        ("NaN", "INVALID_POINT_VALUE"),
        ("Infinity", "INVALID_POINT_VALUE"),
        ("abc", "INVALID_POINT_VALUE"),
    ],
)
def test_point_value_errors_are_specific(value, code):
    with pytest.raises(DomainError) as refused:
        recipients.parse_point_value(value)
    assert refused.value.code == code


def test_empty_currency_is_required_not_invalid():
    with pytest.raises(DomainError) as refused:
        recipients.normalise_currency("  ")
    assert refused.value.code == "REQUIRED"


async def test_an_external_id_resolves_to_its_recipient_and_only_what_was_committed_is_remembered(admin):
    from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
    from backend.core.db import write_transaction
    from backend.core.errors import NotFound

    kept = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="EMP-1", full_name="Kept", email="k@example.com"))
    ).recipient
    assert await recipients.recipient_id_by_external_id(admin, "EMP-1") == kept.id
    assert await recipients.recipient_id_by_external_id(admin, "EMP-1") == kept.id  # remembered: the same answer
    with pytest.raises(NotFound):
        await recipients.recipient_id_by_external_id(admin, "EMP-404")
    # Read inside a transaction that then rolls back: that recipient never existed, and is not remembered.
    with pytest.raises(_Undo):
        async with write_transaction():
            ghost = (
                await recipients.upsert_recipient(
                    SYSTEM, RecipientInput(external_id="EMP-2", full_name="Ghost", email="g@example.com")
                )
            ).recipient
            assert await recipients.recipient_id_by_external_id(admin, "EMP-2") == ghost.id
            raise _Undo
    with pytest.raises(NotFound):
        await recipients.recipient_id_by_external_id(admin, "EMP-2")
    real = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="EMP-2", full_name="Real", email="r@example.com"))
    ).recipient
    assert await recipients.recipient_id_by_external_id(admin, "EMP-2") == real.id != ghost.id
    # The remembered answer still needs recipients:read: a points-only key is refused.
    points_only = Actor(
        kind=ActorKind.API_KEY, id=uuid.uuid4(), label="points only", permissions=frozenset({Permission.POINTS_WRITE})
    )
    with pytest.raises(PermissionDenied):
        await recipients.recipient_id_by_external_id(points_only, "EMP-1")


class _Undo(Exception):
    pass
