"""Recipients: search and filter the list; one recipient's contact data, HR attributes and history."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pycountry
from nicegui import ui

from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.errors import NotFound
from backend.recipients import services as recipients
from backend.recipients.services.search import RecipientFilter
from backend.recipients.services.views import RecipientView
from ui import navigation
from ui.auth import console_page
from ui.components.audit_diff import change_table, entry_summary
from ui.components.display import EMPTY, plain, when
from ui.components.flash import go
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.ledger.wallet import wallet_url
from ui.pages.recipient_cards import deliveries_card, wallets_card
from ui.pages.recipient_form import edit_recipient
from ui.pages.rewards.recipient_rewards import recipient_rewards
from ui.pages.tickets.recipient_tickets import tickets_card
from ui.session import signed_in
from ui.theme import frame

COLUMNS = [
    Column("full_name", "Name", sortable=True, link=True),
    Column("external_id", "External id", sortable=True),
    Column("email", "Email", sortable=True),
    Column("phone", "Phone"),
    Column("country", "Country", sortable=True),
    Column("preferred_channel", "Channel"),
    Column("source_system", "Source", sortable=True),
    Column("status", "Status", badge=True),
]
CHANNEL_LABELS = {"email": "Email", "sms": "SMS", "whatsapp": "WhatsApp"}


def country_name(code: str | None) -> str:
    found = pycountry.countries.get(alpha_2=code) if code else None
    return f"{found.name} ({code})" if found else (code or EMPTY)


def _row(recipient: RecipientView) -> dict:
    return {
        "id": str(recipient.id),
        "href": f"{navigation.RECIPIENTS.path}/{recipient.id}",
        "full_name": recipient.full_name,
        "external_id": recipient.external_id,
        "email": recipient.email or EMPTY,
        "phone": recipient.phone or EMPTY,
        "country": recipient.country or EMPTY,
        "preferred_channel": CHANNEL_LABELS.get(recipient.preferred_channel, recipient.preferred_channel),
        "source_system": recipient.source_system,
        "status": recipient.status.capitalize(),
        "status_colour": "positive" if recipient.status == "active" else "grey-7",
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    wanted = request.filters
    page = await recipients.search_recipients(
        actor,
        RecipientFilter(
            search=wanted.get("search"),
            country=wanted.get("country"),
            source_system=wanted.get("source_system"),
            attribute=wanted.get("attribute"),
            attribute_value=wanted.get("attribute_value"),
        ),
        request.offset,
        request.limit,
        sort_by=request.sort_by or "full_name",
        descending=request.descending,
    )
    return [_row(recipient) for recipient in page.rows], page.total


async def recipients_page(search: str | None = None) -> None:
    actor = signed_in().actor
    with frame(navigation.RECIPIENTS.label, "People who receive rewards, as your HR and source systems describe them") as page:
        if actor.can(Permission.RECIPIENTS_WRITE):
            with page.actions:
                ui.button("New recipient", icon="person_add", on_click=_add).props("unelevated no-caps").mark("new-recipient")
                ui.button(
                    "Import a file", icon="group_add", on_click=lambda: ui.navigate.to(navigation.RECIPIENT_IMPORTS.path)
                ).props("outline no-caps").mark("import-recipients")
        table = PagedTable(COLUMNS, _fetch, sort_by="full_name", empty_text="No recipients match")
        table.text_filter("search", "Search name, email or external id", value=search, width="w-80")
        table.select_filter(
            "country", "Country", {code: country_name(code) for code in await recipients.distinct_countries(actor)}
        )
        table.select_filter("source_system", "Source", await recipients.distinct_source_systems(actor))
        # An HR attribute and the value it must hold (e.g. grade = 7), matched on the server.
        table.select_filter("attribute", "HR attribute", await recipients.attribute_names(actor), width="w-44")
        table.text_filter("attribute_value", "Attribute value", width="w-40")
        await table.reload()


async def _add() -> None:
    added = await edit_recipient()
    if added is not None:
        go(f"{navigation.RECIPIENTS.path}/{added.id}")


async def _edit(recipient: RecipientView) -> None:
    if await edit_recipient(recipient) is not None:
        go(f"{navigation.RECIPIENTS.path}/{recipient.id}")  # shown again as saved


# ---------------------------------------------------------------- one recipient


def _facts(title: str, icon: str, facts: list[tuple[str, str]], marker: str) -> None:
    with ui.card().classes("mb-card q-pa-md gap-2 grow basis-[320px]").mark(marker):
        with ui.row().classes("items-center gap-2"):
            ui.icon(icon, color="primary")
            ui.label(title).classes("text-subtitle1 text-weight-medium")
        if not facts:
            ui.label("None recorded").classes("mb-muted")
            return
        with ui.grid(columns="minmax(120px, auto) 1fr").classes("gap-x-6 gap-y-1 text-body2 w-full"):
            for label, value in facts:
                ui.label(label).classes("mb-muted")
                ui.label(value).classes("break-all")


def _history(actor: Actor, entries: list[dict], recipient: RecipientView) -> None:
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("recipient-history"):
        with ui.row().classes("w-full items-center justify-between"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("history", color="primary")
                ui.label("History").classes("text-subtitle1 text-weight-medium")
            if actor.can(Permission.AUDIT_READ):
                query = urlencode({"entity_type": "recipient", "entity_id": str(recipient.id)})
                ui.link("Open in the audit log", f"{navigation.AUDIT.path}?{query}").classes("text-primary text-body2")
        if not actor.can(Permission.AUDIT_READ):
            ui.label(f"You need the permission “{Permission.AUDIT_READ.value}” to see who changed this recipient.").classes(
                "mb-muted"
            )
            return
        if not entries:
            ui.label("No changes recorded.").classes("mb-muted")
        for entry in entries:
            with ui.expansion(entry_summary(entry), icon="edit_note").classes("w-full border rounded-borders"):
                change_table(entry["before"], entry["after"])


async def recipient_page(recipient_id: str) -> None:
    actor = signed_in().actor
    try:
        recipient = await recipients.get_recipient(actor, recipient_id=uuid.UUID(recipient_id))
    except (ValueError, NotFound):
        with frame("Recipient not found"):
            ui.label(f"There is no recipient with id {recipient_id}.").classes("text-body1")
            ui.link("Back to recipients", navigation.RECIPIENTS.path)
        return
    entries = await audit.entity_history(actor, "recipient", recipient.id) if actor.can(Permission.AUDIT_READ) else []
    with frame(recipient.full_name, f"{recipient.external_id} · from {recipient.source_system}") as page:
        if actor.can(Permission.RECIPIENTS_WRITE):
            with page.actions:
                ui.button("Edit", icon="edit", on_click=lambda: _edit(recipient)).props("outline no-caps").mark("edit-recipient")
        if navigation.POINTS.open_to(actor):
            with page.actions:
                ui.button(
                    "Points wallet", icon=navigation.POINTS.icon, on_click=lambda: ui.navigate.to(wallet_url(recipient.id))
                ).props("outline no-caps").mark("recipient-points")
        ui.link("← All recipients", navigation.RECIPIENTS.path).classes("text-primary text-body2")
        with ui.row().classes("w-full gap-4 items-stretch"):
            _facts(
                "Contact",
                "contact_mail",
                [
                    ("Email", recipient.email or EMPTY),
                    ("Phone", recipient.phone or EMPTY),
                    ("WhatsApp", recipient.whatsapp or EMPTY),
                    ("Country", country_name(recipient.country)),
                    ("Preferred channel", CHANNEL_LABELS.get(recipient.preferred_channel, recipient.preferred_channel)),
                ],
                "recipient-contact",
            )
            _facts(
                "HR attributes",
                "badge",
                [(key.replace("_", " ").capitalize(), plain(value)) for key, value in sorted(recipient.hr_attributes.items())],
                "recipient-hr",
            )
            _facts(
                "Record",
                "info",
                [
                    ("External id", recipient.external_id),
                    ("Source system", recipient.source_system),
                    ("Status", recipient.status.capitalize()),
                    ("Created", when(recipient.created_at)),
                    ("Updated", when(recipient.updated_at)),
                    ("Mirabelle id", str(recipient.id)),
                ],
                "recipient-record",
            )
        await wallets_card(actor, recipient.id)
        rewards = recipient_rewards(recipient.id, recipient.full_name) if actor.can(Permission.REWARDS_READ) else None
        await deliveries_card(actor, recipient.id)
        await tickets_card(actor, recipient.id)
        _history(actor, entries, recipient)
    if rewards is not None:
        await rewards.reload()


def register() -> None:
    console_page(navigation.RECIPIENTS)(recipients_page)
    console_page(navigation.RECIPIENTS, path=f"{navigation.RECIPIENTS.path}/{{recipient_id}}")(recipient_page)
