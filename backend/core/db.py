"""The database engine: SQLite (WAL, busy timeout, IMMEDIATE writes) or PostgreSQL, chosen by URL."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from backend.core.settings import get_settings

SQLITE_BUSY_TIMEOUT_S = 30.0


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        enable_wal(path)
        # ``timeout`` is sqlite3's busy timeout: a writer waits for the lock instead of failing.
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    return PostgresEngine(config={"dsn": url.replace("postgres://", "postgresql://", 1)})


def enable_wal(path: Path) -> None:
    """WAL lets readers run beside the one writer; the mode is stored in the file, so once is enough."""
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def current_engine() -> Engine:
    import piccolo_conf

    return piccolo_conf.DB


def write_transaction() -> GivesBackItsConnection:
    """A transaction for a use case that writes. On SQLite it takes the write lock up front
    (``BEGIN IMMEDIATE``) so two writers never deadlock upgrading a read lock. A nested call
    joins the outer transaction. Writes still deferred (``sql.defer``) are sent before the commit."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return GivesBackItsConnection(engine.transaction(transaction_type=TransactionType.immediate))
    return GivesBackItsConnection(engine.transaction())


class GivesBackItsConnection:
    """Piccolo's transaction, made safe to interrupt while it starts or ends. Piccolo 1.x takes its
    connection in ``__aenter__`` and gives it back only at the end of an ``__aexit__`` that ran to
    completion: a COMMIT that fails (a deferred constraint; tested) kept the pool slot for ever and
    left the dead transaction as the task's current one; so would a task cancelled while BEGIN or
    ROLLBACK runs (a job's timeout, a worker's stop)."""

    def __init__(self, transaction):
        self._transaction = transaction
        self._nested = False

    async def __aenter__(self):
        # A nested block joins the outer transaction, which owns the connection.
        self._nested = self._transaction.engine.current_transaction.get() is not None
        try:
            return await self._transaction.__aenter__()
        except BaseException:
            if not self._nested:
                await _give_back(self._transaction, entered=False)
            raise

    async def __aexit__(self, exc_type, exc, traceback):
        if exc_type is None and not self._nested:
            # The writes a use case deferred (``sql.defer``) go out before its commit, whoever
            # queued them: a use case joined to this transaction (``idempotency.once`` without a
            # key) leaves its writes to be sent with the next statement of the outer one.
            from backend.core import sql

            try:
                await sql.flush()
            except BaseException as error:
                await self._exit(type(error), error, error.__traceback__)
                raise
        return await self._exit(exc_type, exc, traceback)

    async def _exit(self, exc_type, exc, traceback):
        try:
            return await self._transaction.__aexit__(exc_type, exc, traceback)
        except BaseException:
            if not self._nested:
                await _give_back(self._transaction, entered=True)
            raise


async def _give_back(transaction, entered: bool) -> None:
    connection = getattr(transaction, "connection", None)
    if connection is None:
        return
    transaction.connection = None
    if entered:  # the transaction was installed as the task's current one: take it off
        transaction.engine.current_transaction.reset(transaction.context)
    engine = transaction.engine
    # Shielded: a second cancellation must not cut the hand-back short. asyncpg rolls back an open
    # transaction on release; closing a SQLite connection ends its transaction and its thread.
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await asyncio.shield(engine.pool.release(connection))
    else:
        await asyncio.shield(connection.close())


def use_engine(engine: Engine) -> None:
    """Point piccolo_conf and every registered table at ``engine`` (tests switch databases)."""
    from piccolo.apps.migrations.tables import Migration

    import piccolo_conf

    piccolo_conf.DB = engine
    Migration._meta.db = engine
    for app_config in piccolo_conf.APP_REGISTRY.app_configs.values():
        for table in app_config.table_classes:
            table._meta.db = engine


async def _keep_session(connection) -> None:
    """asyncpg's default reset on release costs a round trip per transaction (advisory locks,
    cursors, LISTEN, SET: none of which we use). An open transaction is still rolled back."""


async def start_pool(engine: Engine | None = None, max_size: int | None = None) -> None:
    """Open the PostgreSQL pool; ``max_size`` defaults to MIRABELLE_DATABASE_POOL_SIZE."""
    engine = engine or current_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        if max_size is None:
            max_size = get_settings().database_pool_size
        await engine.start_connection_pool(min_size=1, max_size=max_size, reset=_keep_session)


async def close_pool(engine: Engine | None = None) -> None:
    engine = engine or current_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
        engine.pool = None


async def ping(engine: Engine | None = None) -> None:
    await (engine or current_engine()).run_ddl("SELECT 1")


def icontains(column, text: str):
    """Case-insensitive substring match in which % and _ are plain text."""
    if isinstance(current_engine(), SQLiteEngine):
        from piccolo.columns.combination import WhereRaw

        # SQLite's LIKE has no default escape character; instr() matches text literally.
        return WhereRaw(f'instr(lower("{column._meta.db_column_name}"), lower({{}})) > 0', text)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%")
