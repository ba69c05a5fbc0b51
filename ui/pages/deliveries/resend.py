"""Resending from the console: the dialog that fixes a recipient's email or phone before a resend,
and the words of what a resend did (how many went back to the worker, and why the others did not)."""

from __future__ import annotations

import uuid
from collections import Counter

from nicegui import ui

from backend.deliveries.services import resending
from backend.recipients.services.validation import CHANNELS
from ui.components.action import perform, sentence
from ui.components.dialogs import ask
from ui.pages.deliveries.words import channel_name

EMAIL_CHANNEL = "email"


def contact_label(channel: str) -> str:
    return "Email address" if channel == EMAIL_CHANNEL else ("WhatsApp number" if channel == "whatsapp" else "Phone number")


async def ask_fix(row: dict, delivery_id: uuid.UUID) -> resending.ResendReport | None:
    """Ask for the channel and contact to resend this delivery to, and resend it (the recipient's
    record is corrected too). A contact the service refuses is said under the field and the dialog
    stays open; None when the person cancels."""
    with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[520px] gap-3").mark("fix-dialog"):
        ui.label(f"Fix and resend to {row['recipient']}").classes("text-h6")
        ui.label(
            f"It failed: {row['failure'].rstrip('.')}. The corrected contact is saved on the recipient's record and the reward "
            "is sent again on the channel chosen here."
        ).classes("mb-muted text-body2")
        channel = (
            ui.select({c: channel_name(c) for c in CHANNELS}, label="Channel", value=row["channel_code"])
            .props("outlined dense options-dense")
            .classes("w-full")
            .mark("fix-channel")
        )
        contact = (
            ui.input(contact_label(row["channel_code"]), value=row["contact_raw"] or "")
            .props("outlined dense autofocus")
            .classes("w-full")
            .mark("fix-contact")
        )
        ui.label("Phone numbers in international form, e.g. +919812345678.").classes("mb-muted text-caption")

        def relabel() -> None:
            contact.props(f'label="{contact_label(channel.value)}"')

        channel.on_value_change(relabel)

        async def submit() -> None:
            if not (contact.value or "").strip():
                contact.error = f"Write the {contact_label(channel.value).lower()} to send to."
                return
            chosen, written = channel.value, contact.value.strip()
            report = await perform(
                lambda actor: resending.resend(actor, [delivery_id], channel=chosen, contact=written),
                # the recipients service names the recipient's field (phone, email, whatsapp)
                fields={"contact": contact, "email": contact, "phone": contact, "whatsapp": contact, "channel": channel},
            )
            if report is not None:
                dialog.submit(report)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps").mark("fix-cancel")
            ui.button("Save and resend", icon="send", on_click=submit).props("unelevated no-caps").mark("fix-resend")
    return await ask(dialog)


def resend_summary(report) -> tuple[str, str]:
    """The notification after a resend and its type, from the service's report: "Resent 3 of 5;
    2 not resent: the reward expired on 2026-11-30 (1); a worker is sending this delivery right now (1)."."""
    resent, refused = len(report.resent), len(report.refused)
    asked = resent + refused
    if not asked:
        return "Nothing to resend: no failed delivery matches.", "info"
    reasons = Counter(sentence(refusal.message).rstrip(".") for refusal in report.refused)
    message = f"Resent {resent:,} of {asked:,}"
    if reasons:
        why = "; ".join(f"{reason} ({count:,})" for reason, count in reasons.most_common())
        message += f"; {refused:,} not resent: {why}."
    else:
        message += ": each goes back to the worker now."
    return message, "positive" if not refused else ("warning" if resent else "negative")
