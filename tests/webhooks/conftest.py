"""Fixtures for the webhook tests: a real receiver on loopback and endpoints subscribed to it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from webhook_receiver import Receiver

from backend.webhooks.services import endpoints
from backend.webhooks.topics import BALANCE_CHANGED

# The worker harness of tests/jobs (the production worker on the test's loop) is reused, not copied.
sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))


@pytest.fixture
def receiver():
    """``receiver(script, then=OK)``: a started receiver, stopped at the end of the test."""
    started: list[Receiver] = []

    def start(script=None, **options) -> Receiver:
        server = Receiver(script, **options).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def subscribe(admin) -> Callable:
    async def subscribe(url: str, topics: list[str] | None = None, description: str = "Loyalty platform"):
        return await endpoints.create_endpoint(admin, url, topics or [BALANCE_CHANGED], description)

    return subscribe
