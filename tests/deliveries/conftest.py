"""Fixtures for the delivery tests: issued rewards, a real SMTP server and a real messaging
provider on loopback."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.dirname(__file__))

from messaging_provider import MessagingProvider  # noqa: E402
from smtp_server import SmtpServer  # noqa: E402


@pytest.fixture
def checker():
    """A second admin (the checker of the partner go-live in the catalogue steps)."""
    from campaign_steps import role_actor

    return role_actor("admin", "checker@example.com")


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def messaging_provider():
    """``messaging_provider(script)``: a started provider, stopped at the end of the test."""
    started: list[MessagingProvider] = []

    def start(script=None, **options) -> MessagingProvider:
        server = MessagingProvider(script, **options).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def json_provider():
    """``json_provider(script, then=…, check=…)``: a started JSON provider, stopped at the end of the test."""
    from json_provider import JsonProvider

    started = []

    def start(script=None, **options):
        server = JsonProvider(script, **options).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)
