"""Hand-written SQL for hot paths (DESIGN.md: "a hot path may use WhereRaw or raw SQL inside the service").

A statement is written once, with PostgreSQL's ``$1, $2 …`` placeholders; on SQLite they become
``?1, ?2 …``, which SQLite reads the same way. It runs on the connection of the current Piccolo
transaction, so it commits or rolls back with everything else the use case wrote; outside a
transaction it takes a pooled connection (PostgreSQL) or a new one (SQLite).

Why not Piccolo's query builder here: building a query costs more Python than the database
spends running it, and asyncpg caches the prepared statement of a fixed SQL string. Rows come back
as mappings (``row["column"]``) on both databases, with UUID and timestamp columns typed alike
(Piccolo registers SQLite's converters).

Batched writes: a use case that ends with several writes whose results it does not need (the
transfer row, the audit entry, the outbox event, a system account's balances) may :func:`defer`
them; they run at the next :func:`flush` or :func:`fetch` in the same transaction, so whatever
runs later sees them, and at the latest before it commits (``db.write_transaction``). On PostgreSQL they go as *one* statement (``WITH d0 AS (INSERT …), d1 AS
(UPDATE …) <last statement>``), one round trip instead of one each; on SQLite, one after the
other. A deferred UPDATE names the row it changes, and one row may wait only once: two UPDATEs of
a row in a single PostgreSQL statement would silently keep one of them.

Guarded writes: a deferred statement may carry a ``refusal`` — it is a condition of the use case
(an ``UPDATE … WHERE <the rule> RETURNING``, say a campaign's counters under its cap) that must
change its row, and ``refusal()`` says why not when it changed nothing. Deferring the deciding
statement instead of running it lets it go out *with* the use case's last statement: one round
trip less, and a hot row locked by it is held only until the commit that follows. The use case
ends with :func:`flush_checked`, which reports the first guard that failed; any other flush
raises that guard's refusal.

Every value is a bound parameter: no text here is ever built from a value (DESIGN.md rule 8).
A guarded write that changed nothing is *counted*, not raised (:func:`flush_checked`), so a
refused or replayed request leaves no error, and none of its values, in the server's log.

This module runs statements and keeps the deferred ones; the joined texts are built in
:mod:`backend.core.sql_text`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from backend.core import sql_text
from backend.core.db import current_engine

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Statement:
    sql: str
    args: tuple = ()
    row: Hashable | None = None  # for a deferred UPDATE: which row it changes, e.g. ("ledger_accounts", id)
    # A guarded write (see the module docstring): returns rows when it took effect; else this says why not.
    refusal: Callable[[], Awaitable[Exception]] | None = None


class Conditions:
    """A WHERE clause built from fixed clause texts, every value bound: ``add("campaign_id = ?", v)``
    numbers the ``?`` as the next parameter; ``when`` adds a clause only for a value that is not None;
    ``in_list`` binds a list. Clause texts and column names are the caller's constants, never
    anything a user typed. ``where()`` renders the clause, ``args`` are the values in order;
    ``leading`` values are bound first, as ``$1, $2 …`` of the statement's head (``SET body = $1``)."""

    def __init__(self, *leading: Any) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = list(leading)

    def bind(self, value: Any) -> str:
        """Bind one more value; returns its placeholder (``$n``), e.g. for a LIMIT after the WHERE."""
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, clause: str, *values: Any) -> None:
        """``clause`` with one ``?`` per value, each bound in turn."""
        for value in values:
            clause = clause.replace("?", self.bind(value), 1)
        self.clauses.append(clause)

    def add_clause(self, clause: str) -> None:
        """A clause with no value of its own, or whose values were bound with :meth:`bind`."""
        self.clauses.append(clause)

    def when(self, clause: str, value: Any) -> None:
        if value is not None:
            self.add(clause, value)

    def in_list(self, column: str, values: Iterable[Any]) -> Conditions:
        """``column IN ($1, $2, …)``, each value bound; no values: a clause no row meets (SQL has no
        empty IN list). Returns the conditions, for ``Conditions().in_list("id", ids)``."""
        placeholders = [self.bind(value) for value in values]
        self.clauses.append(f"{column} IN ({', '.join(placeholders)})" if placeholders else "1 = 0")
        return self

    def where(self) -> str:
        """`` WHERE a AND b``, or "" without clauses: appended straight to ``FROM table``."""
        return f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""

    def statement(
        self, head: str, order_by: str = "", limit: int | None = None, offset: int | None = None, tail: str = ""
    ) -> str:
        """The whole statement: ``head`` (a constant ``SELECT … FROM table`` or ``UPDATE … SET …``), the
        WHERE, ``tail`` (a constant ``GROUP BY …`` or ``RETURNING …``), ``ORDER BY order_by`` (a
        constant) and the ``limit`` and ``offset`` bound. Only constant texts and ``$n`` placeholders
        are joined, never a value. Evaluate it before ``args``: the limit and offset are bound here."""
        parts = [head + self.where()]
        if tail:
            parts.append(tail)
        if order_by:
            parts.append(f"ORDER BY {order_by}")
        if limit is not None:
            parts.append(f"LIMIT {self.bind(limit)}")
        if offset is not None:
            parts.append(f"OFFSET {self.bind(offset)}")
        return " ".join(parts)


# The writes waiting in the current transaction: (that transaction, its statements). A queue left
# behind by a transaction that rolled back is ignored by the next one, which is another object.
_deferred: ContextVar[tuple[object, list[Statement]] | None] = ContextVar("deferred_writes", default=None)


@lru_cache(maxsize=512)
def _for_sqlite(sql: str) -> str:
    return sql_text.PLACEHOLDER.sub(r"?\1", sql)


def is_sqlite() -> bool:
    return isinstance(current_engine(), SQLiteEngine)


async def fetch(sql: str, *args: Any) -> Sequence[Row]:
    """Run one statement (after any deferred inserts) and return its rows."""
    if _queue():
        await flush()
    return await _run(sql, args)


async def fetchrow(sql: str, *args: Any) -> Row | None:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def run(statement: Statement) -> Sequence[Row]:
    return await fetch(statement.sql, *statement.args)


def defer(statement: Statement) -> None:
    """Queue an INSERT, or an UPDATE of the one row named by ``statement.row``, until the next
    :func:`flush` or :func:`fetch` of this transaction. Outside a transaction there is nothing to
    wait for: use :func:`run`."""
    verb = statement.sql.lstrip()[:6].upper()
    if verb not in ("INSERT", "UPDATE") or (verb == "UPDATE") != (statement.row is not None):
        raise ValueError("only an INSERT, or an UPDATE naming its row, may be deferred")
    transaction = current_engine().current_transaction.get()
    if transaction is None:
        raise RuntimeError("sql.defer needs a transaction; outside one, run the statement")
    queued = _deferred.get()
    if queued is None or queued[0] is not transaction:
        queued = (transaction, [])
        _deferred.set(queued)
    if statement.refusal is not None and "RETURNING" not in statement.sql.upper():
        raise ValueError("a guarded write says whether it took effect with RETURNING")
    if statement.row is not None and any(waiting.row == statement.row for waiting in queued[1]):
        raise ValueError(f"row {statement.row!r} already has a deferred UPDATE; run this one instead")
    queued[1].append(statement)


async def flush(then: Statement | None = None) -> Sequence[Row]:
    """Run the deferred inserts, and ``then`` after them; returns ``then``'s rows. On PostgreSQL
    all of it is one statement, so ``then`` must not read what the inserts wrote (one statement,
    one snapshot); it may be any INSERT, UPDATE or SELECT that does not. A guarded write that
    changed nothing raises its refusal."""
    if any(statement.refusal is not None for statement in _queue()):
        _, failed = await flush_checked()  # the guards decide first; ``then`` goes on its own
        if failed is not None:
            raise await failed.refusal()
    statements = _queue()
    _deferred.set(None)
    if then is not None:
        statements = [*statements, then]
    if not statements:
        return []
    if is_sqlite() or len(statements) == 1:
        rows: Sequence[Row] = []
        for statement in statements:
            rows = await _run(statement.sql, statement.args)
        return rows
    sql, args = _combined(statements)
    return await _run(sql, args)


async def flush_checked(then: Statement | None = None) -> tuple[int, Statement | None]:
    """Like :func:`flush`, for a use case's last statement while guarded writes wait: returns how
    many rows ``then`` returned and the first guarded write that changed nothing (or None). Every
    statement runs either way (one statement on PostgreSQL): the caller decides, and rolls back
    on a failed guard."""
    statements = _queue()
    if not any(statement.refusal is not None for statement in statements):  # nothing to check: the plain flush
        rows = await flush(then)
        return len(rows) if then is not None else 0, None
    _deferred.set(None)
    if then is not None:
        statements = [*statements, then]
    guarded = [index for index, statement in enumerate(statements) if statement.refusal is not None]
    if is_sqlite():
        failed, count = None, 0
        for statement in statements:
            rows = await _run(statement.sql, statement.args)
            if statement.refusal is not None and not rows and failed is None:
                failed = statement
            count = len(rows)
        return (count if then is not None else 0), failed
    last = len(statements) - 1 if then is not None else None
    sql = sql_text.checked(_texts_and_arities(statements), tuple(guarded), last)
    row = (await _run(sql, tuple(arg for statement in statements for arg in statement.args)))[0]
    failed = next((statements[index] for index in guarded if not row[f"g{index}"]), None)
    return (row["n"] if last is not None else 0), failed


def discard() -> None:
    """Drop the deferred inserts (the use case is being refused and will roll back)."""
    _deferred.set(None)


def _queue() -> list[Statement]:
    queued = _deferred.get()
    if queued is None:
        return []
    if queued[0] is not current_engine().current_transaction.get():
        _deferred.set(None)  # left over from a transaction that ended without a flush (an error)
        return []
    return queued[1]


def _texts_and_arities(statements: Sequence[Statement]) -> tuple[tuple[str, int], ...]:
    """What ``sql_text`` needs to join plain statements: each one's SQL and how many values it takes
    (a tuple, so that ``sql_text`` can cache the joined text)."""
    return tuple((statement.sql, len(statement.args)) for statement in statements)


def _combined(statements: list[Statement]) -> tuple[str, tuple]:
    """``WITH d0 AS (s0), d1 AS (s1), … sN`` with each statement's placeholders renumbered."""
    sql = sql_text.combined(_texts_and_arities(statements))
    return sql, tuple(arg for statement in statements for arg in statement.args)


async def _run(sql: str, args: Sequence[Any]) -> Sequence[Row]:
    engine = current_engine()
    transaction = engine.current_transaction.get()
    if isinstance(engine, SQLiteEngine):
        if transaction is not None:
            return await _sqlite_fetch(transaction.connection, sql, args)
        connection = await engine.get_connection()
        try:
            rows = await _sqlite_fetch(connection, sql, args)
            await connection.commit()
            return rows
        finally:
            await connection.close()
    if transaction is not None:
        return await transaction.connection.fetch(sql, *args)
    if engine.pool is not None:
        async with engine.pool.acquire() as connection:
            return await connection.fetch(sql, *args)
    connection = await engine.get_new_connection()
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def _sqlite_fetch(connection, sql: str, args: Sequence[Any]) -> list[Row]:
    async with connection.execute(_for_sqlite(sql), tuple(args)) as cursor:
        return await cursor.fetchall()
