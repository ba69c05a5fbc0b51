"""Recognising the database's refusals, the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3


def is_unique_violation(error: BaseException) -> bool:
    """True when a unique index refused a row: the loser of a race that a pre-check could not see."""
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(error)
    try:
        from asyncpg.exceptions import UniqueViolationError
    except ImportError:  # pragma: no cover - asyncpg is always installed with piccolo[postgres]
        return False
    return isinstance(error, UniqueViolationError)


def is_transient(error: BaseException) -> bool:
    """True when the database or the network failed rather than the statement: a lost connection, a
    busy SQLite file, a PostgreSQL serialization failure or deadlock. Worth another try later."""
    if isinstance(error, (OSError, TimeoutError)):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    try:
        import asyncpg.exceptions as pg
    except ImportError:  # pragma: no cover - asyncpg is always installed with piccolo[postgres]
        return False
    return isinstance(
        error,
        (
            pg.PostgresConnectionError,
            pg.InterfaceError,
            pg.SerializationError,
            pg.DeadlockDetectedError,
            pg.TooManyConnectionsError,
            pg.CannotConnectNowError,
            pg.AdminShutdownError,
        ),
    )
