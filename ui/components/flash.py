"""Confirmations that survive navigation. A message shown in the browser dies with its page, so an
action that then opens another page (created → its page) would confirm nothing: ``go(url)`` carries
the last confirmation said on this page into the person's storage, and ``frame()`` shows it on the
page that opens next."""

from __future__ import annotations

import time

from nicegui import app, ui

KEPT_KEY = "flash"
SAID_KEY = "said"
FRESH_SECONDS = 30.0  # a confirmation older than this was read on its own page already


def say(message: str, *, type: str = "positive") -> None:  # noqa: A002  (Quasar's word)
    """Confirm on this page, and remember it in case the page navigates right after."""
    ui.notify(message, type=type, multi_line=True, close_button=True)
    app.storage.client[SAID_KEY] = (message, type, time.monotonic())


def keep(message: str, *, type: str = "positive") -> None:  # noqa: A002
    """Show ``message`` on the next page this person opens."""
    app.storage.user[KEPT_KEY] = [*app.storage.user.get(KEPT_KEY, []), {"message": message, "type": type}]


def _carry() -> None:
    said = app.storage.client.pop(SAID_KEY, None)
    if said is not None and time.monotonic() - said[2] < FRESH_SECONDS:
        keep(said[0], type=said[1])


def go(url: str) -> None:
    """Open ``url``, carrying along what this page just confirmed."""
    _carry()
    ui.navigate.to(url)


def reload() -> None:
    """Build this page again (it shows the saved state), carrying along what it just confirmed."""
    _carry()
    ui.navigate.reload()


def show_kept() -> None:
    """Called by ``frame()``: the confirmations carried here, shown once."""
    for kept in app.storage.user.pop(KEPT_KEY, None) or []:
        ui.notify(kept["message"], type=kept["type"], multi_line=True, close_button=True)
