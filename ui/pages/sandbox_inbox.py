"""The sandbox inbox, like a developer's mail catcher: every message the sandbox provider "sent"
(newest first, paged on the server, filtered by channel and recipient), and each one as its
recipient would see it: an email's HTML in a sandboxed frame beside its plain text, an SMS or a
WhatsApp message as a chat bubble."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor
from backend.core.errors import DomainError
from backend.deliveries.services import reading
from backend.deliveries.services.reading import InboxFilter
from backend.deliveries.views import SandboxMessageView
from ui import navigation
from ui.auth import console_page
from ui.components.display import when
from ui.components.message_view import email_frame, phone_bubble, plain_text
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.delivery_settings.words import CHANNEL_LABELS
from ui.session import signed_in
from ui.theme import frame

CHANNEL_COLOURS = {"email": "primary", "sms": "secondary", "whatsapp": "positive"}
# The message first: on a phone the table scrolls sideways, and the link must be in view.
COLUMNS = [
    Column("gist", "Message", link=True, wrap=True),
    Column("recipient", "To"),
    Column("channel", "Channel", badge=True),
    Column("received", "Received"),
]


def _gist(message: SandboxMessageView, limit: int = 90) -> str:
    gist = message.subject or " ".join(message.text.split())
    return gist if len(gist) <= limit else gist[: limit - 1] + "…"


def _row(message: SandboxMessageView) -> dict:
    return {
        "id": str(message.id),
        "received": when(message.created_at),
        "channel": CHANNEL_LABELS.get(message.channel, message.channel),
        "channel_colour": CHANNEL_COLOURS.get(message.channel, "grey-7"),
        "recipient": message.recipient,
        "gist": _gist(message),
        "href": f"{navigation.SANDBOX_INBOX.path}/{message.id}",
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    wanted = InboxFilter(channel=request.filters.get("channel"), recipient=request.filters.get("recipient"))
    page = await reading.sandbox_messages(actor, wanted, offset=request.offset, limit=request.limit)
    return [_row(message) for message in page.rows], page.total


async def sandbox_inbox_page(channel: str | None = None, recipient: str | None = None) -> None:
    with frame(
        navigation.SANDBOX_INBOX.label,
        "What the sandbox provider kept instead of sending: a programme with no provider set sends here",
    ):
        table = PagedTable(
            COLUMNS,
            _fetch,
            empty_text="Nothing yet: issue a reward to someone, and its message appears here",
            marker="inbox-table",
        )
        table.select_filter("channel", "Channel", CHANNEL_LABELS, value=channel if channel in CHANNEL_LABELS else None)
        table.text_filter("recipient", "To (part of an address or number)", value=recipient)
        await table.reload()


async def sandbox_message_page(message_id: str) -> None:
    actor = signed_in().actor
    try:
        message = await reading.sandbox_message(actor, uuid.UUID(message_id))
    except (ValueError, DomainError):
        message = None
    with frame("Sandbox message", "As its recipient would see it") as page:
        with page.actions:
            ui.button(
                "Back to the inbox", icon="arrow_back", on_click=lambda: ui.navigate.to(navigation.SANDBOX_INBOX.path)
            ).props("flat no-caps").mark("back-to-inbox")
        if message is None:
            ui.label("This message is not in the sandbox inbox.").classes("mb-muted").mark("message-missing")
            return
        with ui.card().classes("mb-card q-pa-md w-full gap-2").mark("message-header"):
            with ui.grid(columns="auto 1fr").classes("gap-x-6 gap-y-1 text-body2 w-full"):
                for label, value in (
                    ("To", message.recipient),
                    ("Channel", CHANNEL_LABELS.get(message.channel, message.channel)),
                    ("Received", when(message.created_at)),
                    ("Delivery", str(message.delivery_id)),
                ):
                    ui.label(label).classes("mb-muted")
                    ui.label(value).classes("break-all")
            if message.subject:
                ui.label(message.subject).classes("text-h6").mark("message-subject")
        if message.channel == "email":
            with ui.tabs(value="html").props("align=left no-caps").classes("text-primary") as tabs:
                ui.tab("html", "HTML").mark("tab-html")
                ui.tab("text", "Plain text").mark("tab-text")
            with ui.tab_panels(tabs, value="html").classes("w-full bg-transparent"):
                with ui.tab_panel("html").classes("q-px-none"):
                    if message.html:
                        email_frame(message.html, marker="message-html").style("min-height: 480px")
                    else:
                        ui.label("This email has no HTML part.").classes("mb-muted")
                with ui.tab_panel("text").classes("q-px-none"):
                    plain_text(message.text, marker="message-text")
        else:
            phone_bubble(message.text, message.channel, sender=message.recipient, marker="message-bubble")


def register() -> None:
    console_page(navigation.SANDBOX_INBOX)(sandbox_inbox_page)
    console_page(navigation.SANDBOX_INBOX, f"{navigation.SANDBOX_INBOX.path}/{{message_id}}")(sandbox_message_page)
