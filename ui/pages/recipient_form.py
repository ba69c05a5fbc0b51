"""A recipient in a dialog: adding one (its external id is then fixed) or editing its contact data and
HR attributes. The service validates exactly as it does for the API; its refusals sit under the fields."""

from __future__ import annotations

from nicegui import ui

from backend.core.errors import DomainError, FieldError
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput, RecipientView
from ui.components.action import perform, show_errors
from ui.components.dialogs import ask
from ui.components.editing import ChangeGuard
from ui.pages.channel_words import CHANNELS


def attributes_text(attributes: dict) -> str:
    """HR attributes as the form shows them: one ``name: value`` a line."""
    return "\n".join(f"{name}: {value}" for name, value in sorted(attributes.items()))


def _value(text: str) -> object:
    """A whole number stays a number (eligibility rules compare grades), true/false a boolean; the rest is text."""
    if text.lstrip("-").isdigit():
        return int(text)
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_attributes(text: str) -> dict:
    """``name: value`` lines into a dict; DomainError (field hr_attributes) naming the line that is not."""
    found: dict = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise DomainError([FieldError("hr_attributes", "INVALID_LINE", f"line {number} should read name: value")])
        found[name.strip()] = _value(value.strip())
    return found


async def edit_recipient(recipient: RecipientView | None = None) -> RecipientView | None:
    """The added (or the saved) recipient; None when the dialog was dismissed."""
    # persistent: a click beside the dialog does not throw typed changes away; Cancel asks first.
    with (
        ui.dialog().props("persistent") as dialog,
        ui.card().classes("q-pa-lg w-[720px] max-w-[95vw] gap-3").mark("recipient-dialog"),
    ):
        ui.label(f"Edit {recipient.full_name}" if recipient else "New recipient").classes("text-h6")
        with ui.grid(columns="repeat(auto-fit, minmax(240px, 1fr))").classes("w-full gap-x-4 gap-y-2"):
            external_id = ui.input("External id", value=recipient.external_id if recipient else "").props("outlined")
            external_id.mark("recipient-external-id")
            if recipient:  # the key HR systems and uploads know the person by
                external_id.props("readonly").tooltip("The id your HR system knows this person by; it cannot change")
            full_name = ui.input("Full name", value=recipient.full_name if recipient else "").props("outlined")
            email = ui.input("Email", value=(recipient.email if recipient else None) or "").props("outlined")
            phone = ui.input("Phone (international, e.g. +91 …)", value=(recipient.phone if recipient else None) or "")
            whatsapp = ui.input("WhatsApp", value=(recipient.whatsapp if recipient else None) or "")
            country = ui.input("Country (ISO code, e.g. IN)", value=(recipient.country if recipient else None) or "")
            for element in (phone, whatsapp, country):
                element.props("outlined")
            channel = ui.select(CHANNELS, label="Preferred channel", value=recipient.preferred_channel if recipient else "email")
            channel.props("outlined")
        attributes = (
            ui.textarea(
                "HR attributes, one “name: value” a line",
                value=attributes_text(recipient.hr_attributes) if recipient else "",
                placeholder="grade: 7\ndepartment: sales",
            )
            .props("outlined autogrow")
            .classes("w-full")
        )
        fields = {
            "external_id": external_id,
            "full_name": full_name,
            "email": email,
            "phone": phone,
            "whatsapp": whatsapp,
            "country": country,
            "preferred_channel": channel,
            "hr_attributes": attributes,
        }
        for name, element in fields.items():
            element.mark(f"recipient-{name.replace('_', '-')}")
        guard = ChangeGuard(fields.values())

        async def cancel() -> None:
            if await guard.may_discard():
                dialog.submit(None)

        async def save() -> None:
            try:
                hr_attributes = parse_attributes(attributes.value)
            except DomainError as error:
                show_errors(error, fields)
                return
            data = RecipientInput(
                external_id=external_id.value or "",
                full_name=full_name.value or "",
                email=email.value or None,
                phone=phone.value or None,
                whatsapp=whatsapp.value or None,
                country=country.value or None,
                preferred_channel=channel.value or "email",
                hr_attributes=hr_attributes,
                source_system=recipient.source_system if recipient else "manual",
            )
            saved = await perform(
                (lambda actor: _updated(actor, data)) if recipient else (lambda actor: recipients.create_recipient(actor, data)),
                fields=fields,
                done=lambda r: f"Saved {r.full_name}." if recipient else f"Added {r.full_name}.",
            )
            if saved is not None:
                guard.saved()
                dialog.submit(saved)

        with ui.row().classes("w-full justify-end gap-2 q-mt-sm"):
            ui.button("Cancel", on_click=cancel).props("flat no-caps").mark("cancel-recipient")
            ui.button("Save" if recipient else "Add recipient", on_click=save).props("unelevated no-caps").mark("save-recipient")
    return await ask(dialog)


async def _updated(actor, data: RecipientInput) -> RecipientView:
    return (await recipients.upsert_recipient(actor, data)).recipient
