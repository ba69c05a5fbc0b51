"""Console users: find, create with roles, change roles, deactivate or activate, unlock, reset a password."""

from __future__ import annotations

import secrets
import uuid

from nicegui import ui

from backend.access import services as access
from backend.access.roles import ROLE_LABELS, Role
from backend.access.services.shared import UserView
from backend.access.services.users import MIN_PASSWORD_LENGTH
from backend.core.authz import Actor
from ui import navigation
from ui.auth import console_page
from ui.components.action import perform
from ui.components.dialogs import ask, confirm
from ui.components.display import when
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.session import signed_in
from ui.theme import frame, role_names

COLUMNS = [
    Column("display_name", "Name", sortable=True),
    Column("email", "Email", sortable=True),
    Column("roles", "Roles", wrap=True),
    Column("status", "Status", badge=True),
    Column("last_login_at", "Last sign-in", sortable=True),
    Column("created_at", "Created", sortable=True),
]
ACTIONS = [
    RowAction("roles", "Roles", "badge"),
    RowAction("password", "Reset password", "password"),
    RowAction("unlock", "Unlock", "lock_open", "secondary"),
    RowAction("deactivate", "Deactivate", "person_off", "negative"),
    RowAction("activate", "Activate", "person", "positive"),
]


def _status(user: UserView) -> tuple[str, str]:
    if not user.is_active:
        return "Deactivated", "grey-7"
    if user.is_locked:
        return f"Locked until {when(user.locked_until)}", "negative"
    return "Active", "positive"


def _row(user: UserView, me: UserView) -> dict:
    status, colour = _status(user)
    actions = ["roles", "password"]
    if user.is_locked:
        actions.append("unlock")
    if user.id != me.id:  # the service refuses self-deactivation; do not offer it
        actions.append("deactivate" if user.is_active else "activate")
    return {
        "id": str(user.id),
        "display_name": user.display_name,
        "email": user.email,
        "roles": role_names(user.roles),
        "status": status,
        "status_colour": colour,
        "last_login_at": when(user.last_login_at),
        "created_at": when(user.created_at),
        "actions": actions,
    }


def _role_checkboxes(selected: tuple[str, ...] = ()) -> dict[str, ui.checkbox]:
    with ui.column().classes("gap-0").mark("role-choices"):
        ui.label("Roles").classes("text-body2 text-weight-medium")
        return {
            role.value: ui.checkbox(ROLE_LABELS[role], value=role.value in selected).mark(f"role-{role.value}") for role in Role
        }


def _chosen(boxes: dict[str, ui.checkbox]) -> list[str]:
    return [role for role, box in boxes.items() if box.value]


def _password_input(label: str) -> ui.input:
    """A password field (with show/hide) and a button beside it that fills in a strong random one."""
    field = ui.input(label, password=True, password_toggle_button=True).props("outlined").classes("w-full").mark("password")
    field.props(f'hint="At least {MIN_PASSWORD_LENGTH} characters"')
    with field.add_slot("after"):  # "append" holds the show/hide toggle
        ui.button(icon="casino", on_click=lambda: field.set_value(secrets.token_urlsafe(15))).props("flat round dense").tooltip(
            "Generate a strong password"
        ).mark("generate-password")
    return field


class UsersPage:
    def __init__(self) -> None:
        self.me = signed_in().user
        self.table: PagedTable | None = None

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await access.list_users(
            actor,
            request.filters.get("search", ""),
            request.offset,
            request.limit,
            sort_by=request.sort_by or "email",
            descending=request.descending,
        )
        return [_row(user, self.me) for user in page.rows], page.total

    async def build(self) -> None:
        with frame(navigation.USERS.label, "People who sign in to this console, and what their roles let them do") as page:
            with page.actions:
                ui.button("New user", icon="person_add", on_click=self.create_user).props("unelevated no-caps").mark("new-user")
            self.table = PagedTable(
                COLUMNS, self.fetch, sort_by="email", actions=ACTIONS, on_action=self.act, empty_text="No users match"
            )
            self.table.text_filter("search", "Search name or email")
            await self.table.reload()

    # ------------------------------------------------------------ actions

    async def act(self, action: str, row: dict) -> None:
        handlers = {
            "roles": self.change_roles,
            "password": self.reset_password,
            "unlock": self.unlock,
            "deactivate": self.deactivate,
            "activate": self.activate,
        }
        await handlers[action](row)
        await self.table.reload(first_page=False)

    async def create_user(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[480px] gap-3").mark("new-user-dialog"):
            ui.label("New console user").classes("text-h6")
            email = ui.input("Email").props("outlined").classes("w-full").mark("email")
            name = ui.input("Display name").props("outlined").classes("w-full").mark("display-name")
            password = _password_input("Initial password")
            roles = _role_checkboxes()

            async def save() -> None:
                fields = {"email": email, "display_name": name, "password": password}
                user = await perform(
                    lambda actor: access.create_user(actor, email.value, name.value, password.value, _chosen(roles)),
                    fields=fields,
                    done=lambda user: (
                        f"Created {user.email} with role(s) {role_names(user.roles)}. Share the password with them securely."
                    ),
                )
                if user is not None:
                    dialog.submit(True)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button("Create user", on_click=save).props("unelevated no-caps").mark("create-user")
        if await ask(dialog):
            await self.table.reload()

    async def change_roles(self, row: dict) -> None:
        user = await perform(lambda actor: access.get_user(actor, _uuid(row)))
        if user is None:
            return
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[420px] gap-3").mark("roles-dialog"):
            ui.label(f"Roles of {user.display_name}").classes("text-h6")
            ui.label(user.email).classes("mb-muted")
            roles = _role_checkboxes(user.roles)

            async def save() -> None:
                changed = await perform(
                    lambda actor: access.set_roles(actor, user.id, _chosen(roles)),
                    done=lambda changed: f"{changed.email} now has the role(s) {role_names(changed.roles)}.",
                )
                if changed is not None:
                    dialog.submit(True)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button("Save roles", on_click=save).props("unelevated no-caps").mark("save-roles")
        await ask(dialog)

    async def reset_password(self, row: dict) -> None:
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[440px] gap-3").mark("password-dialog"):
            ui.label(f"Reset the password of {row['display_name']}").classes("text-h6")
            ui.label("Their current password stops working at once. Pass the new one on securely.").classes("mb-muted")
            password = _password_input("New password")

            async def save() -> None:
                done = await perform(
                    lambda actor: access.reset_password(actor, _uuid(row), password.value or ""),
                    fields={"password": password},
                    done=lambda user: f"The password of {user.email} was reset.",
                )
                if done is not None:
                    dialog.submit(True)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button("Reset password", on_click=save).props("unelevated no-caps color=negative").mark("save-password")
        await ask(dialog)

    async def unlock(self, row: dict) -> None:
        await perform(
            lambda actor: access.unlock(actor, _uuid(row)), done=lambda user: f"{user.email} is unlocked and can sign in again."
        )

    async def deactivate(self, row: dict) -> None:
        if await confirm(
            f"Deactivate {row['display_name']}?",
            f"{row['email']} will be signed out everywhere and cannot sign in until reactivated.",
            confirm_label="Deactivate",
            danger=True,
        ):
            await perform(
                lambda actor: access.set_active(actor, _uuid(row), False),
                done=lambda user: f"{user.email} is deactivated and signed out.",
            )

    async def activate(self, row: dict) -> None:
        if await confirm(
            f"Reactivate {row['display_name']}?", f"{row['email']} will be able to sign in again.", confirm_label="Reactivate"
        ):
            await perform(
                lambda actor: access.set_active(actor, _uuid(row), True), done=lambda user: f"{user.email} is active again."
            )


def _uuid(row: dict) -> uuid.UUID:
    return uuid.UUID(row["id"])


async def users_page() -> None:
    await UsersPage().build()


def register() -> None:
    console_page(navigation.USERS)(users_page)
