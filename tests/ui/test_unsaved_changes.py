"""The unsaved-changes guard on edit forms: the recipient form and a delivery template ask before
typed changes are thrown away (Cancel, another channel, the menu); saved changes leave quietly."""

from __future__ import annotations

import pytest
from delivery_console_steps import element, make_programme
from nicegui.testing import User

from backend.recipients import services as recipients
from backend.recipients.services import RecipientInput


@pytest.fixture
async def programme(db):
    return await make_programme()


async def test_cancelling_an_edited_recipient_asks_first(console: User, admin, patience, eventually) -> None:
    asha = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="E-1", full_name="Asha", email="asha@example.com"))
    ).recipient
    await console.open(f"/recipients/{asha.id}")
    console.find(marker="edit-recipient").click()
    await console.should_see(marker="recipient-dialog", retries=patience)

    console.find(marker="cancel-recipient").click()  # nothing typed: closes at once
    await console.should_not_see(marker="recipient-dialog", retries=patience)

    console.find(marker="edit-recipient").click()
    await console.should_see(marker="recipient-dialog", retries=patience)
    element(console, "recipient-full-name").set_value("Asha Rao")
    console.find(marker="cancel-recipient").click()
    await console.should_see("Discard your changes?", retries=patience)
    console.find(marker="confirm-cancel").click()  # keep editing
    await console.should_not_see(marker="confirm-dialog", retries=patience)
    assert element(console, "recipient-full-name").value == "Asha Rao"
    console.find(marker="cancel-recipient").click()
    await console.should_see("Discard your changes?", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_not_see(marker="recipient-dialog", retries=patience)
    assert (await recipients.get_recipient(admin, recipient_id=asha.id)).full_name == "Asha"


async def test_a_template_with_unsaved_changes_asks_before_another_channel_or_the_menu(
    console: User, admin, programme, patience, eventually
) -> None:
    await console.open(f"/delivery-settings?programme={programme.id}&tab=templates&channel=sms")
    await console.should_see(marker="template-editor", retries=patience)
    element(console, "template-text").set_value("Hello {{ recipient_name }}")
    element(console, "template-channel").set_value("email")
    await console.should_see("Discard your changes?", retries=patience)
    console.find(marker="confirm-cancel").click()
    await eventually(lambda: element(console, "template-channel").value == "sms")  # the choice went back
    assert element(console, "template-text").value == "Hello {{ recipient_name }}"  # the typing stayed

    console.find(marker="nav-campaigns").click()
    await console.should_see("Leave without saving?", retries=patience)
    console.find(marker="confirm-cancel").click()
    await console.should_not_see(marker="confirm-dialog", retries=patience)

    console.find(marker="save-template").click()
    await console.should_see(marker="template-editor", retries=patience)
    await console.should_see("Saved the SMS template in en: the next rewards use it.", retries=patience)
    console.find(marker="nav-campaigns").click()  # saved: leaves without a question
    await eventually(lambda: element(console, "page-title").text == "Campaigns", seconds=10)
