"""API keys: the secret is shown once and works; a revoked key is refused."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from backend.access import services as access
from backend.access.services.api_keys import ApiKeyRejected


def secret_on_page(user: User) -> str:
    return next(iter(user.find(kind=ui.label, marker="api-key-secret").elements)).text


async def create_key_through_the_page(user: User, name: str, scopes: list[str], patience: int) -> str:
    await user.open("/api-keys")
    user.find(marker="new-api-key").click()
    await user.should_see(marker="new-api-key-dialog", retries=patience)
    user.find(marker="key-name").type(name)
    for scope in scopes:
        user.find(marker=f"scope-{scope}").click()
    user.find(marker="create-api-key").click()
    await user.should_see(marker="secret-dialog", retries=patience)
    return secret_on_page(user)


async def test_new_key_secret_is_shown_once_and_works(console: User, admin, patience, table, eventually) -> None:
    secret = await create_key_through_the_page(console, "HR sync", ["recipients:write", "recipients:read"], patience)
    await console.should_see("Created API key HR sync")
    await console.should_see("It will not be shown again")
    await console.should_see(marker="copy-secret")

    actor = await access.authenticate_api_key(secret)
    assert actor.label == "api-key:HR sync"
    assert {permission.value for permission in actor.permissions} == {"recipients:write", "recipients:read"}

    console.find(marker="secret-stored").click()
    await console.should_not_see(marker="secret-dialog", retries=patience)
    key = (await access.list_api_keys(admin)).rows[0]
    await eventually(lambda: [row["masked"] for row in table(console).rows] == [key.masked])
    row = table(console).rows[0]
    assert row["scopes"] == "recipients:read, recipients:write" and row["status"] == "Active"

    await console.open("/api-keys")  # the secret is nowhere on the page any more; its use is
    await console.should_not_see(marker="api-key-secret")
    assert secret.split("_", 2)[2] not in str(table(console).props)
    assert table(console).rows[0]["last_used_at"] != "never"


async def test_key_without_scope_is_refused_with_a_reason(console: User, admin, patience) -> None:
    await console.open("/api-keys")
    console.find(marker="new-api-key").click()
    await console.should_see(marker="new-api-key-dialog", retries=patience)
    console.find(marker="key-name").type("No scopes")
    console.find(marker="create-api-key").click()
    await console.should_see("An API key needs at least one scope", retries=patience)
    assert (await access.list_api_keys(admin)).total == 0


async def test_revoke_asks_first_then_the_key_is_refused(console: User, admin, patience, table, eventually) -> None:
    _, secret = await access.create_api_key(admin, "Old loyalty bridge", ["points:read"])
    await console.open("/api-keys")
    row = table(console).rows[0]
    assert row["actions"] == ["revoke"]

    console.find(marker="paged-table").trigger("row_action", {"action": "revoke", "key": row["id"]})
    await console.should_see(marker="confirm-dialog", retries=patience)
    await console.should_see("Every request made with it will be refused")
    console.find(marker="confirm-cancel").click()
    await console.should_not_see(marker="confirm-dialog", retries=patience)
    await access.authenticate_api_key(secret)  # still works: nothing was done

    console.find(marker="paged-table").trigger("row_action", {"action": "revoke", "key": row["id"]})
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Revoked API key Old loyalty bridge", retries=patience)
    await eventually(lambda: table(console).rows[0]["status"].startswith("Revoked"))
    assert table(console).rows[0]["actions"] == []
    with pytest.raises(ApiKeyRejected, match="revoked"):
        await access.authenticate_api_key(secret)


async def test_a_key_name_with_a_control_character_or_too_long_is_refused_on_the_form(
    console: User, admin, patience, eventually
) -> None:
    # The form calls the same service rule as the API (backend/core/text.py): its message goes under the name.
    cases = (("HR\x00sync", "Name contains the control character U+0000"), ("K" * 121, "Name is at most 120 characters"))
    for name, message in cases:
        await console.open("/api-keys")
        console.find(marker="new-api-key").click()
        await console.should_see(marker="new-api-key-dialog", retries=patience)
        console.find(marker="key-name").type(name)
        console.find(marker="scope-recipients:read").click()
        console.find(marker="create-api-key").click()
        field = next(iter(console.find(marker="key-name").elements))
        await eventually(lambda field=field: field.error is not None)
        assert field.error.startswith(message), field.error
    assert (await access.list_api_keys(admin)).total == 0


def test_every_scope_has_its_own_words() -> None:
    from backend.access.roles import API_KEY_SCOPES
    from ui.pages.api_keys import SCOPE_MEANINGS

    for scope in API_KEY_SCOPES:
        assert SCOPE_MEANINGS[scope.value] != scope.value  # never "catalog:write — catalog:write"


async def test_the_scope_choices_read_as_words_with_the_code_once(console: User, patience) -> None:
    await console.open("/api-keys")
    await console.should_see(marker="new-api-key", retries=patience)
    console.find(marker="new-api-key").click()
    await console.should_see(marker="scope-catalog:write", retries=patience)
    box = next(iter(console.find(marker="scope-catalog:write").elements))
    assert box.text == "Keep offers and voucher stock up to date"
    await console.should_see("catalog:write")
