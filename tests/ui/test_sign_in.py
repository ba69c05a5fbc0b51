"""Signing in and out of the console, and what a refused sign-in says."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from backend.access import services as access
from backend.core.errors import DomainError
from backend.core.settings import get_settings


async def test_unauthenticated_visitor_is_sent_to_login(admin, user: User) -> None:
    await user.open("/users")
    await user.should_see("Sign in to the back office")
    await user.should_not_see(marker="navigation")


async def test_wrong_password_says_so(admin, user: User, sign_in, patience) -> None:
    await sign_in(password="not the password")
    await user.should_see("Wrong email or password", retries=patience)
    await user.should_not_see(marker="navigation")


async def test_login_success_shows_navigation_and_returns_to_page_asked_for(admin, user: User, sign_in, patience) -> None:
    await sign_in(path="/audit")
    await user.should_see(marker="navigation", retries=patience)
    await user.should_see("Every change, by whom and when", retries=patience)
    for item in ("nav-home", "nav-recipients", "nav-programmes", "nav-users", "nav-api-keys", "nav-audit"):
        await user.should_see(marker=item)
    await user.should_see("Ada Admin")


async def test_lockout_says_the_account_is_locked_and_until_when(admin, user: User, sign_in, patience) -> None:
    for _ in range(get_settings().login_max_failures - 1):  # all but the last failure straight through the service
        with pytest.raises(DomainError, match="INVALID_CREDENTIALS"):
            await access.login("admin@example.com", "wrong password")
    await sign_in(password="wrong password again")
    await user.should_see("Account locked", retries=patience)
    await user.should_see(f"locked for {get_settings().lockout_minutes} minutes", retries=patience)

    # Even the right password is refused now, and the page says until when.
    user.find(marker="password").type("correct horse battery")
    user.find(marker="sign-in").click()
    await user.should_see("try again after", retries=patience)
    await user.should_see("UTC")
    await user.should_not_see(marker="navigation")


async def test_deactivated_account_is_told_to_ask_an_administrator(admin, user: User, sign_in, patience, create_person) -> None:
    await create_person("gone@example.com", ["viewer"])
    gone = (await access.list_users(admin, "gone@")).rows[0]
    await access.set_active(admin, gone.id, False)
    await sign_in("gone@example.com", "a long enough password")
    await user.should_see("Account deactivated", retries=patience)
    await user.should_see("Ask an administrator to reactivate it")


async def test_ended_session_goes_back_to_login_with_a_message(admin, user: User, sign_in, patience, create_person) -> None:
    await create_person("temp@example.com", ["programme_manager"])
    await sign_in("temp@example.com", "a long enough password", path="/recipients")
    await user.should_see(marker="navigation", retries=patience)
    temp = (await access.list_users(admin, "temp@")).rows[0]
    await access.set_active(admin, temp.id, False)  # ends every session of theirs

    await user.open("/programmes")
    await user.should_see("Your session has expired or was ended", retries=patience)
    await user.should_not_see(marker="navigation")


async def test_sign_out_ends_the_session(console: User, patience) -> None:
    console.find(marker="sign-out").click()
    await console.should_see("You are signed out", retries=patience)
    await console.open("/users")
    await console.should_see("Sign in to the back office")


async def test_redirect_back_only_to_pages_of_this_console(admin, user: User, sign_in, patience) -> None:
    await sign_in(path="/login?redirect_to=https://evil.example/phish")
    await user.should_see("What Mirabelle holds today", retries=patience)


async def test_support_agent_sees_only_what_their_role_allows(admin, user: User, sign_in, patience, create_person) -> None:
    await create_person("agent@example.com", ["support_agent"])
    await sign_in("agent@example.com", "a long enough password")
    await user.should_see(marker="navigation", retries=patience)
    for allowed in ("nav-home", "nav-recipients", "nav-programmes"):
        await user.should_see(marker=allowed)
    for refused in ("nav-users", "nav-api-keys", "nav-audit"):
        await user.should_not_see(marker=refused)

    for path, permission in (("/users", "users:manage"), ("/api-keys", "api_keys:manage"), ("/audit", "audit:read")):
        await user.open(path)
        await user.should_see(marker="permission-needed")
        await user.should_see(f"You need the permission “{permission}”")
        await user.should_not_see(marker="paged-table")


async def test_login_page_sends_someone_already_signed_in_on(console: User) -> None:
    await console.open("/login?redirect_to=/users")
    await console.should_see("People who sign in to this console")


async def test_a_page_check_that_races_sign_out_says_signed_out_not_expired(console: User, patience, monkeypatch) -> None:
    """A page's timer (a watch, a badge) re-checks the session while the sign-out button is forgetting
    it and ending it: the login page must say "signed out", whichever of the two navigates last."""
    from ui import session

    checked = access.user_for_session

    async def sign_out_meanwhile(token):
        with console.client:
            session.forget("signed_out")  # what the sign-out button does first, while this check awaits the database
        await access.logout(token)
        return await checked(token)

    monkeypatch.setattr(session.access, "user_for_session", sign_out_meanwhile)
    with console.client:
        assert await session.current_actor() is None
    await console.should_see("You are signed out", retries=patience)
    await console.should_not_see("Your session has expired")


async def test_a_page_check_after_the_session_ended_elsewhere_says_expired(
    admin, user: User, sign_in, patience, create_person
) -> None:
    from ui import session

    await create_person("temp@example.com", ["programme_manager"])
    await sign_in("temp@example.com", "a long enough password", path="/recipients")
    await user.should_see(marker="navigation", retries=patience)
    temp = (await access.list_users(admin, "temp@")).rows[0]
    await access.set_active(admin, temp.id, False)  # ends every session of theirs, this page stays open
    with user.client:
        assert await session.current_actor() is None
    await user.should_see("Your session has expired or was ended", retries=patience)


async def test_every_check_of_a_page_whose_session_ended_says_expired_whichever_comes_first(
    admin, user: User, sign_in, patience, create_person
) -> None:
    """A badge's timer finds the ended session first and forgets the token; the next check (the
    person's click) finds no token and must still say "expired", not "signed out"."""
    from ui import session

    await create_person("temp@example.com", ["programme_manager"])
    await sign_in("temp@example.com", "a long enough password", path="/recipients")
    await user.should_see(marker="navigation", retries=patience)
    temp = (await access.list_users(admin, "temp@")).rows[0]
    await access.set_active(admin, temp.id, False)
    with user.client:
        assert await session.current_actor() is None  # the timer
        assert await session.current_actor() is None  # the click, after it
    await user.should_see("Your session has expired or was ended", retries=patience)
