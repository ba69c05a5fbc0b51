"""The PostgreSQL pool of a process is as large as MIRABELLE_DATABASE_POOL_SIZE says."""

import pytest

from backend.core.db import close_pool, make_engine, start_pool
from backend.core.settings import SettingsError, get_settings, load_settings


@pytest.fixture
def pool_size(monkeypatch):
    def set_to(value: str) -> None:
        monkeypatch.setenv("MIRABELLE_DATABASE_POOL_SIZE", value)
        get_settings.cache_clear()

    yield set_to
    monkeypatch.delenv("MIRABELLE_DATABASE_POOL_SIZE", raising=False)
    get_settings.cache_clear()


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_bad_pool_size_is_refused_naming_the_variable(pool_size, value):
    pool_size(value)
    with pytest.raises(SettingsError, match="MIRABELLE_DATABASE_POOL_SIZE"):
        load_settings()


def test_the_pool_size_defaults_to_20(pool_size, monkeypatch):
    monkeypatch.delenv("MIRABELLE_DATABASE_POOL_SIZE", raising=False)
    assert load_settings().database_pool_size == 20


async def test_a_process_pool_opens_at_most_the_configured_connections(db, pool_size):
    if db.kind != "postgres":
        pytest.skip("SQLite opens a connection per query: there is no pool to size")
    pool_size("3")
    engine = make_engine(db.url)  # a process's own engine, as `mirabelle api` or `worker` starts it
    await start_pool(engine)
    try:
        assert engine.pool.get_max_size() == 3
    finally:
        await close_pool(engine)
