"""Confirmations that survive navigation: an action that opens another page (a recipient added →
its page) confirms on the page it left and again, once, on the page it opened."""

from __future__ import annotations

from nicegui.testing import User

from backend.recipients import services as recipients
from backend.recipients.services import RecipientInput


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


async def test_the_confirmation_of_an_add_is_shown_on_the_page_it_opens(console: User, admin, patience, eventually) -> None:
    await console.open("/recipients")
    console.find(marker="new-recipient").click()
    await console.should_see(marker="recipient-dialog", retries=patience)
    console.find(marker="recipient-external-id").type("E-7")
    console.find(marker="recipient-full-name").type("Dara Das")
    console.find(marker="recipient-email").type("dara@example.com")
    console.find(marker="save-recipient").click()
    await eventually(lambda: element(console, "page-title").text == "Dara Das", seconds=10)
    # Once where it was done, once more on the recipient's page (the first died with its page).
    await eventually(lambda: console.notify.messages.count("Added Dara Das.") == 2)

    await console.open("/")  # shown once: the next page after that says nothing more
    await console.should_see(marker="tally-audit", retries=patience)
    assert console.notify.messages.count("Added Dara Das.") == 2


async def test_a_save_that_rebuilds_the_page_confirms_on_the_rebuilt_page(console: User, admin, patience, eventually) -> None:
    asha = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="E-1", full_name="Asha", email="asha@example.com"))
    ).recipient
    await console.open(f"/recipients/{asha.id}")
    console.find(marker="edit-recipient").click()
    await console.should_see(marker="recipient-dialog", retries=patience)
    element(console, "recipient-full-name").set_value("Asha Rao")
    console.find(marker="save-recipient").click()
    await eventually(lambda: element(console, "page-title").text == "Asha Rao", seconds=10)
    await eventually(lambda: console.notify.messages.count("Saved Asha Rao.") == 2)
