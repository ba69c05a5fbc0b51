"""Console tests: NiceGUI's simulated ``user`` running ui/main.py, on each test database.

Ask for ``admin`` (or ``db``) before ``user``, so the test database is installed before the
console starts."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Awaitable, Callable

import pytest
from nicegui.testing import User, user_simulation
from nicegui.testing.general_fixtures import get_path_to_main_file

from backend.access import services as access
from backend.core.authz import Actor

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"
# Service calls (argon2, the database) can take longer than should_see's default three tries of 0.1 s.
PATIENCE = 50

SignIn = Callable[..., Awaitable[None]]


@pytest.fixture
async def user(caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> AsyncGenerator[User, None]:
    """NiceGUI's own ``user`` fixture, except that an ERROR the console logged during the test fails the
    test only after the simulated console has shut down, and names the errors. NiceGUI's fails inside
    the simulation, which skips the app's shutdown: the app stays "started" and every later console
    test on the same xdist worker then errors at setup ("NiceGUI has already been started")."""
    async with user_simulation(main_file=get_path_to_main_file(request)) as simulated:
        yield simulated
    errors = [record for record in caplog.get_records("call") if record.levelname == "ERROR"]
    if errors:
        pytest.fail("The console logged unexpected errors: " + " | ".join(r.getMessage() for r in errors), pytrace=False)


@pytest.fixture
def patience() -> int:
    return PATIENCE


BROWSER_TIME_ZONE = "UTC"


@pytest.fixture
def sign_in(user: User) -> SignIn:
    """``await sign_in(email, password, path="/")``: open ``path`` (landing on the login page) and sign in.
    The simulated browser answers the sign-in's question for its time zone with ``browser_time_zone``
    (UTC unless a test sets ``user.browser_time_zone``)."""
    user.javascript_rules[re.compile(r".*resolvedOptions\(\)\.timeZone")] = lambda _: getattr(
        user, "browser_time_zone", BROWSER_TIME_ZONE
    )

    async def sign_in(email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD, path: str = "/") -> None:
        await user.open(path)
        user.find(marker="email").type(email)
        user.find(marker="password").type(password)
        user.find(marker="sign-in").click()

    return sign_in


@pytest.fixture
def create_person(admin: Actor) -> Callable[..., Awaitable[None]]:
    async def create(email: str, roles: list[str], password: str = "a long enough password") -> None:
        await access.create_user(admin, email, email.split("@")[0].title(), password, roles)

    return create


@pytest.fixture
async def console(admin: Actor, user: User, sign_in: SignIn) -> User:
    """A simulated browser signed in as the admin, on the home page."""
    await sign_in()
    await user.should_see(marker="navigation", retries=PATIENCE)
    await user.should_see(marker="tally-audit", retries=PATIENCE)  # the home is built (inbox, then counts)
    return user


@pytest.fixture
def eventually() -> Callable[[Callable[[], bool]], Awaitable[None]]:
    """``await eventually(lambda: condition)``: wait for work the page does in the background."""

    async def wait(condition: Callable[[], bool], seconds: float = 5.0) -> None:
        for _ in range(int(seconds / 0.05)):
            if condition():
                return
            await asyncio.sleep(0.05)
        assert condition(), "the condition did not become true in time"

    return wait


def table_of(user: User, marker: str = "paged-table"):
    """The ui.table behind a PagedTable: its rows and pagination are what the browser shows."""
    return next(iter(user.find(marker=marker).elements))


@pytest.fixture
def table() -> Callable[..., object]:
    return table_of
