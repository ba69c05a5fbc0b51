"""The console opens the outbox's doorbell on start-up when Redis is configured, so that the worker's
jobs it starts (an upload to validate, an approved one to issue) are rung at once, and closes it on
shutdown."""

import pytest

from backend.core import outbox
from backend.core.settings import get_settings
from ui import main


@pytest.fixture
def redis_configured(embedded_redis, monkeypatch):
    monkeypatch.setenv("MIRABELLE_REDIS_URL", embedded_redis.url)
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("MIRABELLE_REDIS_URL")
    get_settings.cache_clear()


async def test_the_console_opens_the_doorbell_on_start_up_and_closes_it_on_shutdown(redis_configured):
    assert outbox.doorbell() is None
    await main._open_doorbell()
    try:
        assert outbox.doorbell() is not None
    finally:
        await main._close_doorbell()
    assert outbox.doorbell() is None
