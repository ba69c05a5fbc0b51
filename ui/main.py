"""The console process: the NiceGUI app, its pages, the session middleware and the database pool.

Run it with ``mirabelle console`` (which calls ``run_console()``) or ``python -m ui.main``.
"""

from __future__ import annotations

import os

from nicegui import app, helpers, ui
from nicegui.storage import Storage
from piccolo.engine.postgres import PostgresEngine

from backend.core import outbox as doorbells  # not ui.pages.outbox, the outbox's page
from backend.core.db import close_pool, current_engine, start_pool
from backend.core.settings import get_settings
from ui.auth import SignedInMiddleware
from ui.pages import (
    api_keys,
    audit,
    catalog,
    deliveries,
    delivery_settings,
    home,
    ledger,
    login,
    outbox,
    programmes,
    recipient_imports,
    recipients,
    rewards,
    sandbox_inbox,
    tickets,
    users,
    webhooks,
)
from ui.pages.insights import review_pages as partner_review_pages
from ui.request_log import RequestLog, log_unhandled
from ui.theme import PRODUCT

PAGES = (
    login,
    home,
    recipients,
    programmes,
    catalog,
    rewards,
    deliveries,
    delivery_settings,
    sandbox_inbox,
    tickets,
    ledger,
    users,
    api_keys,
    webhooks,
    outbox,
    audit,
    recipient_imports,
    partner_review_pages,
)
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<circle cx="16" cy="18" r="12" fill="#e0a526"/><path d="M16 6c2-4 6-5 9-4-2 3-5 4-9 4z" fill="#5b3f8f"/></svg>'
)

_started_pools: list = []
_opened_doorbells: list = []


async def _open_database() -> None:
    # The engine is whatever piccolo_conf holds (from settings, or the one a test installed).
    engine = current_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await start_pool(engine)
        _started_pools.append(engine)


async def _close_database() -> None:
    while _started_pools:  # only the pool this process opened; a test's own pool is the test's
        await close_pool(_started_pools.pop())


async def _open_doorbell() -> None:
    """The worker's jobs the console starts (an approved upload to issue, a file to validate) are
    rung at once; without Redis they wait for the worker's outbox relay."""
    redis_url = get_settings().redis_url
    if redis_url and doorbells.doorbell() is None:  # a test may have installed its own
        _opened_doorbells.append(await doorbells.open_doorbell(redis_url))


async def _close_doorbell() -> None:
    while _opened_doorbells:
        doorbells.set_doorbell(None)
        await _opened_doorbells.pop().aclose()


def build_console() -> None:
    """Register the middleware, every page and the start-up hooks (each time NiceGUI is set up)."""
    app.add_middleware(SignedInMiddleware)
    app.add_middleware(RequestLog)  # added last: the outermost layer, so its line covers the rest
    app.on_exception(log_unhandled)
    for pages in PAGES:
        pages.register()
    app.on_startup(_open_database)
    app.on_startup(_open_doorbell)
    app.on_shutdown(_close_database)
    app.on_shutdown(_close_doorbell)


def run_console() -> None:
    settings = get_settings()
    build_console()
    if not helpers.is_user_simulation():
        from backend.core.logging import configure_logging

        # A console a test starts (`mirabelle up` in tests/test_cli.py) inherits PYTEST_CURRENT_TEST, which
        # NiceGUI takes for its own screen tests (it then wants NICEGUI_SCREEN_TEST_PORT): this is a real server.
        os.environ.pop("PYTEST_CURRENT_TEST", None)
        configure_logging(settings.log_level, settings.log_json)
        # Browser sessions live beside the rest of Mirabelle's state, not in the working directory.
        Storage.path = (settings.var_dir / "console-sessions").resolve()
        app.storage = Storage()
    ui.run(
        title=PRODUCT,
        host=settings.console_host,
        port=settings.console_port,
        storage_secret=settings.effective_secret_key(),
        favicon=FAVICON,
        reload=False,
        show=False,
        show_welcome_message=False,
    )


if __name__ == "__main__":
    run_console()
