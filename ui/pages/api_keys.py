"""API keys for integrators: create one with scopes (its secret is shown once), see them, revoke them."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.access import services as access
from backend.access.roles import API_KEY_SCOPES
from backend.access.services.api_keys import ApiKeyView
from backend.core.authz import Actor
from ui import navigation
from ui.auth import console_page
from ui.components.action import perform
from ui.components.dialogs import ask, confirm
from ui.components.display import when
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.components.secret_once import show_secret_once
from ui.theme import frame

# What each scope lets an integration do, in words a person choosing them understands.
SCOPE_MEANINGS = {
    "rewards:write": "issue rewards",
    "rewards:read": "read rewards",
    "points:write": "reserve, post and adjust points",
    "points:read": "read point balances",
    "recipients:write": "create and update recipients",
    "recipients:read": "read recipients",
    "catalog:read": "read offers and partners",
    "catalog:write": "keep offers and voucher stock up to date",
    "partners:write": "create and update partners",
    "tickets:write": "open and update tickets",
    "tickets:read": "read tickets",
    "reports:read": "read reports",
    "reports:write": "start and close partner reviews",
    "deliveries:read": "read deliveries, to reconcile them",
    "deliveries:write": "resend rewards",
    "tickets:manage": "set the complaint desk's calendar and SLA targets",
}


def scope_choice(scope: str) -> ui.checkbox:
    """A scope to tick: what it lets the key do, in words, with its code (as the API names it) beside."""
    with ui.row().classes("items-center gap-1 no-wrap"):
        box = ui.checkbox(SCOPE_MEANINGS[scope].capitalize()).props("dense").classes("q-py-xs").mark(f"scope-{scope}")
        ui.label(scope).classes("mb-muted text-caption font-mono")
    return box


COLUMNS = [
    Column("name", "Name"),
    Column("masked", "Key"),
    Column("scopes", "Scopes", wrap=True),
    Column("created_at", "Created"),
    Column("last_used_at", "Last used"),
    Column("status", "Status", badge=True),
]
ACTIONS = [RowAction("revoke", "Revoke", "block", "negative")]


def _row(key: ApiKeyView) -> dict:
    revoked = key.revoked_at is not None
    return {
        "id": str(key.id),
        "name": key.name,
        "masked": key.masked,
        "scopes": ", ".join(key.scopes),
        "created_at": when(key.created_at),
        "last_used_at": when(key.last_used_at) if key.last_used_at else "never",
        "status": f"Revoked {when(key.revoked_at)}" if revoked else "Active",
        "status_colour": "grey-7" if revoked else "positive",
        "actions": [] if revoked else ["revoke"],
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    page = await access.list_api_keys(actor, include_revoked=True, offset=request.offset, limit=request.limit)
    return [_row(key) for key in page.rows], page.total


async def show_key_once(key: ApiKeyView, secret: str) -> None:
    await show_secret_once(
        title=f"API key “{key.name}” created",
        secret=secret,
        secret_marker="api-key-secret",
        warning="Copy this key now and store it in your secret manager. It will not be shown again: "
        "Mirabelle keeps only a hash of it. If it is lost, revoke it and create a new one.",
        usage=f"Integrations send it as: Authorization: Bearer mb_{key.prefix}_…",
    )


class ApiKeysPage:
    def __init__(self) -> None:
        self.table: PagedTable | None = None

    async def build(self) -> None:
        with frame(navigation.API_KEYS.label, "Keys that integrations use to call the GraphQL API") as page:
            with page.actions:
                ui.button("New API key", icon="add", on_click=self.create_key).props("unelevated no-caps").mark("new-api-key")
            self.table = PagedTable(
                COLUMNS,
                _fetch,
                actions=ACTIONS,
                on_action=self.act,
                empty_text="No API keys yet: create one for each integration",
            )
            await self.table.reload()

    async def create_key(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[640px] max-w-[95vw] gap-3").mark("new-api-key-dialog"):
            ui.label("New API key").classes("text-h6")
            name = ui.input("Name", placeholder="e.g. HR sync (Workday)").props("outlined").classes("w-full").mark("key-name")
            ui.label("Scopes: what this key may do").classes("text-body2 text-weight-medium")
            with ui.grid(columns="repeat(auto-fit, minmax(260px, 1fr))").classes("w-full gap-0").mark("scope-choices"):
                scopes = {scope: scope_choice(scope) for scope in sorted(permission.value for permission in API_KEY_SCOPES)}

            async def save() -> None:
                created = await perform(
                    lambda actor: access.create_api_key(actor, name.value or "", [s for s, box in scopes.items() if box.value]),
                    fields={"name": name},
                    done=lambda created: f"Created API key {created[0].name}.",
                )
                if created is not None:
                    dialog.submit(created)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
                ui.button("Create key", on_click=save).props("unelevated no-caps").mark("create-api-key")
        created = await ask(dialog)
        if created:
            await self.table.reload()
            await show_key_once(*created)

    async def act(self, action: str, row: dict) -> None:
        if action == "revoke" and await confirm(
            f"Revoke the API key “{row['name']}”?",
            "Every request made with it will be refused from now on (401). This cannot be undone.",
            confirm_label="Revoke key",
            danger=True,
        ):
            await perform(
                lambda actor: access.revoke_api_key(actor, uuid.UUID(row["id"])),
                done=lambda key: f"Revoked API key {key.name}. Requests with it are now refused.",
            )
            await self.table.reload(first_page=False)


async def api_keys_page() -> None:
    await ApiKeysPage().build()


def register() -> None:
    console_page(navigation.API_KEYS)(api_keys_page)
