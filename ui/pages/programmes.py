"""Programmes: the list, and a new programme with its currency and the value of one point."""

from __future__ import annotations

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.recipients import services as recipients
from backend.recipients.services.views import ProgrammeView
from ui import navigation
from ui.auth import console_page
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.components.display import when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.catalog.words import currency_options
from ui.session import signed_in
from ui.theme import frame

COLUMNS = [
    Column("name", "Name"),
    Column("currency", "Currency"),
    Column("point_value", "One point is worth"),
    Column("status", "Status", badge=True),
    Column("created_at", "Created"),
    Column("description", "Description", wrap=True),
]


def _row(programme: ProgrammeView) -> dict:
    return {
        "id": str(programme.id),
        "name": programme.name,
        "currency": programme.currency,
        "point_value": f"{programme.point_value} {programme.currency}",
        "status": programme.status,
        "status_colour": "positive" if programme.status == "active" else "grey-7",
        "created_at": when(programme.created_at),
        "description": programme.description or "—",
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    page = await recipients.list_programmes(actor, request.offset, request.limit)
    return [_row(programme) for programme in page.rows], page.total


async def _create(table: PagedTable) -> None:
    with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[480px] gap-3").mark("new-programme-dialog"):
        ui.label("New programme").classes("text-h6")
        name = ui.input("Name").props("outlined").classes("w-full").mark("programme-name")
        currency = (
            ui.select(currency_options(), label="Currency", with_input=True)
            .props("outlined")
            .classes("w-full")
            .mark("programme-currency")
        )
        point_value = (
            ui.input("Value of one point", placeholder="e.g. 0.25")
            .props('outlined hint="In the currency\'s main unit (0.25 = a quarter), up to 6 decimals"')
            .classes("w-full")
            .mark("programme-point-value")
        )
        description = (
            ui.textarea("Description (optional)").props("outlined autogrow").classes("w-full").mark("programme-description")
        )

        async def save() -> None:
            created = await perform(
                lambda actor: recipients.create_programme(
                    actor, name.value or "", currency.value or "", (point_value.value or "").strip(), description.value or ""
                ),
                fields={"name": name, "currency": currency, "point_value": point_value},
                done=lambda p: f"Created programme {p.name}: one point is worth {p.point_value} {p.currency}.",
            )
            if created is not None:
                dialog.submit(True)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
            ui.button("Create programme", on_click=save).props("unelevated no-caps").mark("create-programme")
    if await ask(dialog):
        await table.reload()


async def programmes_page() -> None:
    actor = signed_in().actor
    with frame(navigation.PROGRAMMES.label, "Reward programmes: each has a currency and a value per point") as page:
        table = PagedTable(COLUMNS, _fetch, empty_text="No programmes yet")
        if actor.can(Permission.PROGRAMMES_WRITE):
            with page.actions:
                ui.button("New programme", icon="add", on_click=lambda: _create(table)).props("unelevated no-caps").mark(
                    "new-programme"
                )
        await table.reload()


def register() -> None:
    console_page(navigation.PROGRAMMES)(programmes_page)
