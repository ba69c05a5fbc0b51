"""Test harness: every database test runs on SQLite, and on PostgreSQL too when
MIRABELLE_TEST_POSTGRES_URL is set (a set-but-unreachable URL fails the run, it never skips).

Under pytest-xdist (``make test``) each worker is a process of its own and imports this module
itself: its own temporary var directory (so its own SQLite template and files), its own
PostgreSQL database (named after the worker, plus a random suffix), dropped when it finishes."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import uuid
import warnings
from pathlib import Path

import pytest

_VAR = Path(tempfile.mkdtemp(prefix="mirabelle-test-var-"))
os.environ["MIRABELLE_VAR_DIR"] = str(_VAR)
os.environ["MIRABELLE_DATABASE_URL"] = f"sqlite:///{_VAR / 'default.sqlite3'}"
os.environ.setdefault("MIRABELLE_SECRET_KEY", "test-secret-key-" + "x" * 32)
os.environ.pop("MIRABELLE_REDIS_URL", None)

from backend.core.authz import SYSTEM  # noqa: E402
from backend.core.db import close_pool, make_engine, start_pool, use_engine  # noqa: E402
from backend.core.migrate import migrate  # noqa: E402

pytest_plugins = ["nicegui.testing.user_plugin"]

# Passwords hash with argon2's cheapest parameters in the test process: the recommended ones cost about
# 0.2 s of CPU a hash, and most tests make an admin or sign in. The hashes are still argon2id, verify
# reads the parameters from the hash, and the processes tests start (the CLI, api, console) keep the
# recommended ones.
from argon2 import PasswordHasher, profiles  # noqa: E402

from backend.access.services import shared as _access_shared  # noqa: E402

_access_shared.hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)

PG_URL = os.environ.get("MIRABELLE_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]


def pytest_report_header(config):
    return f"mirabelle databases: {', '.join(BACKENDS)}" + (
        "" if PG_URL else " (set MIRABELLE_TEST_POSTGRES_URL to add PostgreSQL)"
    )


_state: dict = {}


async def _sqlite_template() -> Path:
    if "template" not in _state:
        path = _VAR / "template.sqlite3"
        use_engine(make_engine(f"sqlite:///{path}"))
        await migrate()
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _state["template"] = path
    return _state["template"]


def _database_url(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


async def _postgres_url() -> str:
    """A throwaway database for this run, migrated once and dropped at the end of the session."""
    if "pg_url" not in _state:
        import asyncpg

        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, … under pytest-xdist
        name = f"mirabelle_test_{worker}_{uuid.uuid4().hex[:12]}"
        try:
            admin = await asyncpg.connect(PG_URL, timeout=10)
        except Exception as error:  # set but unreachable: fail loudly, never skip
            pytest.fail(f"MIRABELLE_TEST_POSTGRES_URL={PG_URL} is set but unreachable: {error}", pytrace=False)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            _state["pool_size"] = _pool_size(int(await admin.fetchval("SHOW max_connections")))
        finally:
            await admin.close()
        _state["pg_name"] = name
        url = _database_url(PG_URL, name)
        use_engine(make_engine(url))
        await migrate()
        _state["pg_url"] = url
    return _state["pg_url"]


def _pool_size(max_connections: int) -> int:
    """Connections a test's pool may open: 40, or this worker's share of the server's connections
    (less 20 for subprocesses and admin sessions) when pytest-xdist workers run tests at the same
    time: three workers' race tests at 40 each would exceed PostgreSQL's default 100."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return max(10, min(40, (max_connections - 20) // workers))


def pytest_sessionfinish(session, exitstatus):
    if "pg_name" in _state:
        import asyncio

        import asyncpg

        async def drop():
            admin = await asyncpg.connect(PG_URL, timeout=10)
            await admin.execute(f'DROP DATABASE IF EXISTS "{_state["pg_name"]}" WITH (FORCE)')
            await admin.close()

        asyncio.run(drop())
    shutil.rmtree(_VAR, ignore_errors=True)


_TABLES_SQL = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"


@pytest.fixture(params=BACKENDS)
async def db(request, tmp_path):
    """A migrated, empty database, installed as the engine of every table. Its URL is ``db.url``."""
    if request.param == "sqlite":
        path = tmp_path / "mirabelle.sqlite3"
        shutil.copyfile(await _sqlite_template(), path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        use_engine(engine)
        yield TestDatabase(engine, url, "sqlite")
        return
    url = await _postgres_url()
    engine = make_engine(url)
    use_engine(engine)
    await start_pool(engine, max_size=_state["pool_size"])
    tables = [row["tablename"] for row in await engine.run_ddl(_TABLES_SQL)]
    # TRUNCATE skips row triggers, so the append-only audit log can be emptied between tests.
    await engine.run_ddl(f"TRUNCATE {', '.join(tables)} CASCADE")
    yield TestDatabase(engine, url, "postgres")
    try:
        await asyncio.wait_for(close_pool(engine), timeout=30)
    except TimeoutError:
        # asyncpg's close waits for every acquired connection: one a test's task never gave back
        # would hang the whole run (seen once in CI). Drop the pool and say which test it was.
        engine.pool.terminate()
        engine.pool = None
        warnings.warn(f"{request.node.nodeid} left a database connection acquired; its pool was terminated", stacklevel=1)


class TestDatabase:
    __test__ = False

    def __init__(self, engine, url: str, kind: str):
        self.engine, self.url, self.kind = engine, url, kind


@pytest.fixture
async def admin(db):
    """An admin user and the actor that stands for them."""
    from backend.access import services as access

    user = await access.create_user(SYSTEM, "admin@example.com", "Ada Admin", "correct horse battery", ["admin"])
    return access.actor_for_user(user)


@pytest.fixture
def embedded_redis(tmp_path):
    from backend.core.redis_server import EmbeddedRedis

    with EmbeddedRedis(tmp_path / "redis") as server:
        yield server


@pytest.fixture(autouse=True)
def _no_doorbell_left_behind():
    """The outbox's doorbell is process-wide: a test whose process (a worker, the api, the console) it
    started did not close it must not hand its Redis to the next test of the same xdist worker."""
    yield
    from backend.core import outbox

    outbox.set_doorbell(None)


@pytest.fixture(autouse=True)
async def _no_sender_left_running():
    """A worker's senders (jobs/senders.py) are tasks on the session's loop: one a test left running
    would claim the next tests' deliveries. Stop it, and fail the test that left it."""
    yield
    import asyncio

    left = [task for task in asyncio.all_tasks() if task.get_name().split("-sender")[0] in ("deliveries", "webhooks")]
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)
    assert not left, f"senders left running: {sorted(task.get_name() for task in left)}"
