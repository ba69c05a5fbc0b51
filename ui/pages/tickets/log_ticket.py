"""Logging a ticket from the console: an agent who took a call or read an email writes down the
complaint, which opens a ticket through the same intake as the claim page and the API (linked to
the reward when it is named; a second report on a reward joins its open ticket)."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError
from backend.recipients import services as recipients
from backend.tickets.services import intake
from backend.tickets.views import CONSOLE, OpenedTicket
from ui import navigation
from ui.components.action import perform
from ui.components.flash import go
from ui.pages.tickets.queue import ticket_url
from ui.pages.tickets.words import CATEGORIES, short_id
from ui.session import signed_in
from ui.theme import frame

CHANNELS = {"call": "Phone call", "email": "Email", "other": "Other"}


def _some_id(text: str | None, field: str, what: str) -> uuid.UUID | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise DomainError.single(f"INVALID_{field.upper()}", f"“{text}” is not a {what} reference", field=field) from None


async def log_ticket_page() -> None:
    actor = signed_in().actor
    programmes = (await recipients.list_programmes(actor, limit=200)).rows if actor.can(Permission.RECIPIENTS_READ) else []
    with frame(
        navigation.LOG_TICKET.label, "Write down a complaint that came by phone or email: it opens a ticket with its SLA."
    ):
        with ui.card().classes("mb-card q-pa-lg w-full max-w-[760px] gap-3").mark("log-ticket-form"):
            with ui.row().classes("w-full gap-3 no-wrap"):
                channel = ui.select(CHANNELS, label="It came by", value="call").props("outlined dense").classes("w-40")
                channel.mark("field-channel")
                category = ui.select(CATEGORIES, label="Problem").props("outlined dense").classes("col-grow")
                category.mark("field-category")
            programme = ui.select({str(p.id): p.name for p in programmes}, label="Programme (when no reward is named)")
            programme.props("outlined dense clearable").classes("w-full").mark("field-programme_id")
            with ui.row().classes("w-full gap-3 no-wrap"):
                reward = ui.input("Reward reference (optional)").props("outlined dense").classes("col-grow")
                reward.mark("field-issuance_id")
                person = ui.input("Recipient's employee ID (optional)").props("outlined dense").classes("col-grow")
                person.mark("field-recipient_id")
            subject = ui.input("Subject").props("outlined dense counter maxlength=200").classes("w-full").mark("field-subject")
            message = ui.textarea("What the recipient said").props("outlined autogrow").classes("w-full").mark("field-message")
            fields = {
                "category": category,
                "programme_id": programme,
                "issuance_id": reward,
                "recipient_id": person,
                "subject": subject,
                "message": message,
            }

            async def submit() -> None:
                async def work(acting: Actor) -> OpenedTicket:
                    recipient_id = None
                    if (person.value or "").strip():
                        try:
                            recipient_id = await recipients.recipient_id_by_external_id(acting, person.value.strip())
                        except DomainError:
                            raise DomainError.single(
                                "RECIPIENT_NOT_FOUND", f"no recipient has the ID “{person.value.strip()}”", field="recipient_id"
                            ) from None
                    report = intake.TicketReport(
                        category=category.value or "",
                        message=message.value or "",
                        source=CONSOLE,
                        # what the agent wrote, else how it came (the message stays the recipient's words)
                        subject=(subject.value or "").strip() or f"{CHANNELS.get(channel.value, 'Other')} to support",
                        issuance_id=_some_id(reward.value, "issuance_id", "reward"),
                        programme_id=uuid.UUID(programme.value) if programme.value else None,
                        recipient_id=recipient_id,
                    )
                    return await intake.open_ticket(acting, report)

                opened = await perform(
                    work,
                    done=lambda t: (
                        f"The report joined ticket {short_id(t.ticket_id)}, already open on this reward."
                        if t.joined
                        else f"Ticket {short_id(t.ticket_id)} logged; its SLA clocks are running."
                    ),
                    fields=fields,
                )
                if opened is not None:
                    go(ticket_url(opened.ticket_id))

            with ui.row().classes("w-full justify-end"):
                ui.button("Log ticket", icon="add_call", on_click=submit).props("unelevated no-caps").mark("submit-ticket")
