"""Recipients managed in the console: added and edited through the same service (and validation) as
the API, refusals under their fields; the list filters by an HR attribute; the page shows wallets."""

from __future__ import annotations

from nicegui.testing import User

from backend.ledger.services import points as ledger
from backend.recipients import services as recipients
from backend.recipients.services.search import RecipientFilter
from backend.recipients.services.views import RecipientInput


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


async def test_an_admin_adds_a_recipient_and_is_told_what_is_wrong_first(console: User, admin, patience, eventually) -> None:
    await recipients.upsert_recipient(admin, RecipientInput(external_id="E-1", full_name="Asha", email="asha@example.com"))
    await console.open("/recipients")
    console.find(marker="new-recipient").click()
    await console.should_see(marker="recipient-dialog", retries=patience)
    console.find(marker="recipient-external-id").type("E-1")
    console.find(marker="recipient-full-name").type("Dara Das")
    console.find(marker="recipient-email").type("not an email")
    console.find(marker="recipient-hr-attributes").type("grade: 7\ndepartment: sales")
    console.find(marker="save-recipient").click()
    await eventually(lambda: bool(element(console, "recipient-email").error))  # the API's rule, under its field
    assert (await recipients.search_recipients(admin, RecipientFilter())).total == 1  # nothing was written

    element(console, "recipient-email").set_value("dara@example.com")
    console.find(marker="save-recipient").click()
    await eventually(lambda: "already exists" in (element(console, "recipient-external-id").error or ""))  # Asha kept

    element(console, "recipient-external-id").set_value("E-2")
    console.find(marker="save-recipient").click()
    await eventually(lambda: console.back_history and "/recipients/" in console.back_history[-1], seconds=10)
    dara = await recipients.get_recipient(admin, external_id="E-2")
    assert (dara.email, dara.hr_attributes) == ("dara@example.com", {"grade": 7, "department": "sales"})


async def test_an_admin_edits_a_recipient_and_the_list_filters_by_attribute(
    console: User, admin, patience, table, eventually
) -> None:
    asha = (
        await recipients.upsert_recipient(
            admin, RecipientInput(external_id="E-1", full_name="Asha", email="asha@example.com", hr_attributes={"grade": 7})
        )
    ).recipient
    await recipients.upsert_recipient(
        admin, RecipientInput(external_id="E-2", full_name="Bela", email="bela@example.com", hr_attributes={"grade": 3})
    )
    programme = await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    await ledger.earn(admin, programme.id, asha.id, 1200, source="campaign", reason="welcome bonus")

    await console.open(f"/recipients/{asha.id}")
    await console.should_see(marker="recipient-wallets", retries=patience)
    await console.should_see("1,200 points available · 0 on hold")
    console.find(marker="edit-recipient").click()
    await console.should_see(marker="recipient-dialog", retries=patience)
    assert "readonly" in element(console, "recipient-external-id").props
    element(console, "recipient-full-name").set_value("Asha Rao")
    element(console, "recipient-hr-attributes").set_value("grade: 8")
    console.find(marker="save-recipient").click()
    await eventually(lambda: element(console, "page-title").text == "Asha Rao", seconds=10)
    saved = await recipients.get_recipient(admin, recipient_id=asha.id)
    assert (saved.full_name, saved.hr_attributes, saved.external_id) == ("Asha Rao", {"grade": 8}, "E-1")

    await console.open("/recipients")
    grid = table(console)
    await eventually(lambda: grid.pagination["rowsNumber"] == 2)
    element(console, "filter-attribute").set_value("grade")
    element(console, "filter-attribute_value").set_value("3")
    await eventually(lambda: [row["full_name"] for row in grid.rows] == ["Bela"])
