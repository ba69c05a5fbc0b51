"""What the delivery console tests share: a programme, setting an element's value as a person's
choice would, and reading what a marked element shows."""

from __future__ import annotations

import os
import sys

from nicegui import ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # the loopback servers
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "jobs"))  # the worker harness

from backend.core.authz import SYSTEM  # noqa: E402
from backend.recipients import services as recipients  # noqa: E402

PASSWORD = "a long enough password"


async def make_programme(name: str = "Sales Stars"):
    return await recipients.create_programme(SYSTEM, name, "INR", "0.25")


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


def choose(user: User, marker: str, value) -> None:
    """Set an input's or a select's value as the person's typing or choice would (its handlers run)."""
    with user.client:
        element(user, marker).value = value


def text_of(user: User, marker: str) -> str:
    found = element(user, marker)
    return found.text if isinstance(found, ui.label) else str(found.value)


def labels_within(user: User, marker: str) -> list[str]:
    return [child.text for child in element(user, marker).descendants() if isinstance(child, ui.label)]
