"""Recipients (search, filters, server-side paging, detail with history) and programmes."""

from __future__ import annotations

from nicegui.testing import User

from backend.recipients import services as recipients
from backend.recipients.services.search import RecipientFilter
from backend.recipients.services.views import RecipientInput


async def add_people(admin) -> None:
    for number in range(30):
        await recipients.upsert_recipient(
            admin,
            RecipientInput(
                external_id=f"EMP-{number:03d}",
                full_name=f"Person {number:03d}",
                email=f"person{number}@example.com",
                country="IN" if number % 3 else "DE",
                source_system="workday" if number % 2 else "manual",
                hr_attributes={"department": "Sales" if number % 2 else "Finance", "grade": f"G{number % 5}"},
            ),
        )


def names(grid) -> list[str]:
    return [row["full_name"] for row in grid.rows]


async def test_recipients_list_searches_filters_and_pages_on_the_server(console: User, admin, table, eventually) -> None:
    await add_people(admin)
    await recipients.upsert_recipient(
        admin, RecipientInput(external_id="X-1", full_name="Zoë Ödegaard", email="zoe@example.com", country="NO")
    )
    await console.open("/recipients")
    grid = table(console)
    await eventually(lambda: grid.pagination["rowsNumber"] == 31)  # the first page is read after the filters' options
    assert len(grid.rows) == 25
    assert names(grid)[:2] == ["Person 000", "Person 001"]

    console.find(marker="paged-table").trigger(
        "request", {"page": 2, "rowsPerPage": 25, "sortBy": "full_name", "descending": False}
    )
    await eventually(lambda: grid.pagination["page"] == 2)
    assert names(grid) == [f"Person {n:03d}" for n in range(25, 30)] + ["Zoë Ödegaard"]

    console.find(marker="paged-table").trigger(
        "request", {"page": 1, "rowsPerPage": 10, "sortBy": "external_id", "descending": True}
    )
    await eventually(lambda: grid.rows[0]["external_id"] == "X-1")
    assert grid.rows[1]["external_id"] == "EMP-029"

    console.find(marker="filter-search").type("DEGAARD")
    await eventually(lambda: names(grid) == ["Zoë Ödegaard"])
    assert grid.rows[0]["href"] == f"/recipients/{(await recipients.get_recipient(admin, external_id='X-1')).id}"

    console.find(marker="filter-search").clear()
    console.find(marker="filter-country").click()
    console.find("Germany (DE)").click()
    await eventually(lambda: grid.pagination["rowsNumber"] == 10)
    console.find(marker="filter-source_system").click()
    console.find("workday").click()
    await eventually(lambda: grid.pagination["rowsNumber"] == 5)
    expected = await recipients.search_recipients(
        admin, RecipientFilter(country="DE", source_system="workday"), sort_by="external_id", descending=True
    )  # the sort asked for above stays
    assert names(grid) == [recipient.full_name for recipient in expected.rows]


async def test_recipient_detail_shows_contact_hr_attributes_and_history(console: User, admin, patience) -> None:
    first = await recipients.upsert_recipient(
        admin,
        RecipientInput(
            external_id="EMP-7",
            full_name="Ravi Kumar",
            email="ravi@example.com",
            phone="+91 98123 45678",
            country="IN",
            preferred_channel="sms",
            hr_attributes={"department": "Sales", "business_unit": "South"},
            source_system="workday",
        ),
    )
    await recipients.upsert_recipient(
        admin,
        RecipientInput(
            external_id="EMP-7",
            full_name="Ravi Kumar",
            email="ravi@example.com",
            phone="+91 98123 45678",
            country="IN",
            preferred_channel="sms",
            hr_attributes={"department": "Marketing", "business_unit": "South"},
            source_system="workday",
        ),
    )
    await console.open(f"/recipients/{first.recipient.id}")
    await console.should_see("Ravi Kumar")
    with console.scope(marker="recipient-contact"):
        await console.should_see("+919812345678")
        await console.should_see("India (IN)")
        await console.should_see("SMS")
    with console.scope(marker="recipient-hr"):
        await console.should_see("Business unit")
        await console.should_see("Marketing")
    await console.should_see(marker="recipient-history", retries=patience)  # below the wallets and rewards
    with console.scope(marker="recipient-history"):
        await console.should_see("recipient.updated · admin@example.com", retries=patience)
        await console.should_see("recipient.created · admin@example.com")
    change_tables = console.find(marker="audit-changes").elements
    assert len(change_tables) == 2
    updated = next({row["field"]: row for row in grid.rows} for grid in change_tables if grid.rows[0]["kind"] == "changed")
    assert updated["hr_attributes.department"]["before"] == "Sales"
    assert updated["hr_attributes.department"]["after"] == "Marketing"


async def test_unknown_recipient_says_so(console: User) -> None:
    await console.open("/recipients/not-an-id")
    await console.should_see("There is no recipient with id not-an-id.")


async def test_support_agent_sees_recipient_but_not_its_history(admin, user: User, sign_in, create_person, patience) -> None:
    created = await recipients.upsert_recipient(
        admin, RecipientInput(external_id="E-1", full_name="Ana Lima", email="ana@example.com")
    )
    await create_person("agent@example.com", ["support_agent"])
    await sign_in("agent@example.com", "a long enough password", path=f"/recipients/{created.recipient.id}")
    await user.should_see("Ana Lima", retries=patience)
    await user.should_see("You need the permission “audit:read” to see who changed this recipient.")


async def test_create_programme_with_currency_and_point_value(console: User, admin, patience, table, eventually) -> None:
    await console.open("/programmes")
    console.find(marker="new-programme").click()
    await console.should_see(marker="new-programme-dialog", retries=patience)
    console.find(marker="programme-name").type("Sales stars 2026")
    currency = next(iter(console.find(marker="programme-currency").elements))
    assert "INR" in currency.options and "XAU" not in currency.options  # gold has no minor unit: the service refuses it
    console.find(marker="programme-currency").click()
    console.find("INR · Indian Rupee").click()
    console.find(marker="programme-point-value").type("0.25")
    console.find(marker="create-programme").click()
    await console.should_see("Created programme Sales stars 2026: one point is worth 0.25 INR", retries=patience)
    await eventually(lambda: [row["name"] for row in table(console).rows] == ["Sales stars 2026"])
    assert table(console).rows[0]["point_value"] == "0.25 INR"
    programme = (await recipients.list_programmes(admin)).rows[0]
    assert (programme.currency, programme.point_value_micros) == ("INR", 250_000)


async def test_programme_errors_show_next_to_their_fields(console: User, admin, patience, eventually) -> None:
    from nicegui import ui

    await console.open("/programmes")
    console.find(marker="new-programme").click()
    await console.should_see(marker="new-programme-dialog", retries=patience)
    console.find(marker="programme-point-value").type("-1")
    console.find(marker="create-programme").click()
    fields = {
        marker: next(iter(console.find(marker=marker).elements))
        for marker in ("programme-name", "programme-currency", "programme-point-value")
    }
    await eventually(lambda: all(field.error for field in fields.values()))
    assert "needs a name" in fields["programme-name"].error
    assert "ISO 4217" in fields["programme-currency"].error
    assert "positive" in fields["programme-point-value"].error
    assert isinstance(fields["programme-currency"], ui.select)
    assert (await recipients.list_programmes(admin)).total == 0
