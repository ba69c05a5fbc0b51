"""The users page: find, create, change roles, deactivate, unlock, reset a password."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from backend.access import services as access
from backend.core.errors import DomainError
from backend.core.settings import get_settings


def emails(user: User) -> list[str]:
    return [row["email"] for row in next(iter(user.find(marker="paged-table").elements)).rows]


def row_for(user: User, email: str) -> dict:
    return next(row for row in next(iter(user.find(marker="paged-table").elements)).rows if row["email"] == email)


async def test_create_user_with_roles(console: User, admin, patience, eventually) -> None:
    await console.open("/users")
    console.find(marker="new-user").click()
    await console.should_see(marker="new-user-dialog", retries=patience)
    console.find(marker="email").type("Grace@Example.com")
    console.find(marker="display-name").type("Grace Hopper")
    console.find(marker="password").type("navy compiler 1952")
    console.find(marker="role-finance").click()
    console.find(marker="role-viewer").click()
    console.find(marker="create-user").click()
    await console.should_see("Created grace@example.com with role(s) Finance, Viewer", retries=patience)

    created = (await access.list_users(admin, "grace")).rows[0]
    assert created.roles == ("finance", "viewer") and created.is_active
    assert (await access.login("grace@example.com", "navy compiler 1952")).user.id == created.id
    await eventually(lambda: "grace@example.com" in emails(console))  # the list reloaded


async def test_create_user_shows_rule_next_to_the_field(console: User, admin, eventually, patience) -> None:
    await console.open("/users")
    console.find(marker="new-user").click()
    await console.should_see(marker="new-user-dialog", retries=patience)
    console.find(marker="email").type("short@example.com")
    console.find(marker="display-name").type("Short")
    console.find(marker="password").type("short")
    console.find(marker="role-viewer").click()
    console.find(marker="create-user").click()
    password = next(iter(console.find(kind=ui.input, marker="password").elements))
    await eventually(lambda: password.error is not None)
    assert "at least 12 characters" in password.error
    assert (await access.list_users(admin, "short@")).total == 0


async def test_search_change_roles_deactivate_activate_unlock_and_reset(
    console: User, admin, create_person, patience, eventually
) -> None:
    await create_person("bob@example.com", ["viewer"])
    await create_person("carol@example.com", ["viewer"])
    await console.open("/users")
    console.find(marker="filter-search").type("bob")
    await eventually(lambda: emails(console) == ["bob@example.com"])
    bob = row_for(console, "bob@example.com")
    table = console.find(marker="paged-table")

    table.trigger("row_action", {"action": "roles", "key": bob["id"]})
    await console.should_see(marker="roles-dialog", retries=patience)
    console.find(marker="role-partner_manager").click()
    console.find(marker="save-roles").click()
    await console.should_see("bob@example.com now has the role(s) Partner manager, Viewer", retries=patience)

    table.trigger("row_action", {"action": "deactivate", "key": bob["id"]})
    await console.should_see(marker="confirm-dialog", retries=patience)
    await console.should_see("will be signed out everywhere")
    console.find(marker="confirm-ok").click()
    await console.should_see("bob@example.com is deactivated and signed out", retries=patience)
    await eventually(lambda: row_for(console, "bob@example.com")["status"] == "Deactivated")

    table.trigger("row_action", {"action": "activate", "key": bob["id"]})
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("bob@example.com is active again", retries=patience)

    table.trigger("row_action", {"action": "password", "key": bob["id"]})
    await console.should_see(marker="password-dialog", retries=patience)
    console.find(marker="password").type("a brand new passphrase")
    console.find(marker="save-password").click()
    await console.should_see("The password of bob@example.com was reset", retries=patience)
    assert (await access.login("bob@example.com", "a brand new passphrase")).user.email == "bob@example.com"

    for _ in range(get_settings().login_max_failures):
        with pytest.raises(DomainError):
            await access.login("bob@example.com", "wrong")
    await console.open("/users")
    bob = row_for(console, "bob@example.com")
    assert bob["status"].startswith("Locked until")
    assert "unlock" in bob["actions"]
    console.find(marker="paged-table").trigger("row_action", {"action": "unlock", "key": bob["id"]})
    await console.should_see("bob@example.com is unlocked and can sign in again", retries=patience)
    assert not (await access.list_users(admin, "bob")).rows[0].is_locked


async def test_admin_is_not_offered_to_deactivate_themselves(console: User) -> None:
    await console.open("/users")
    me = row_for(console, "admin@example.com")
    assert "deactivate" not in me["actions"]


async def test_users_table_pages_and_sorts_on_the_server(console: User, create_person, eventually) -> None:
    for number in range(12):
        await create_person(f"user{number:02d}@example.com", ["viewer"])
    await console.open("/users")
    table = next(iter(console.find(marker="paged-table").elements))
    console.find(marker="paged-table").trigger("request", {"page": 2, "rowsPerPage": 10, "sortBy": "email", "descending": False})
    await eventually(lambda: table.pagination["page"] == 2)
    assert table.pagination["rowsNumber"] == 13
    assert [row["email"] for row in table.rows] == ["user09@example.com", "user10@example.com", "user11@example.com"]

    console.find(marker="paged-table").trigger("request", {"page": 1, "rowsPerPage": 10, "sortBy": "email", "descending": True})
    await eventually(lambda: table.pagination.get("descending") is True)
    assert table.rows[0]["email"] == "user11@example.com"
