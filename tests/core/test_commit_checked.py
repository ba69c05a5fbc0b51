"""A use case's last statement and its COMMIT in one message (``sql.commit_checked``): committed
when it returns (another connection sees it before the block ends), values exactly as given, and
— when the last statement or a guard changed nothing — nothing committed, with the transaction
still usable to read why."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from backend.core import idempotency, sql
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.ids import new_id

NASTY = "it's a \\ back'slash; COMMIT; DROP TABLE idempotency_records; -- naïve\n$1 $2"
_OUTBOX = "INSERT INTO outbox_events (id, topic, payload, status, created_at, attempts) VALUES ($1, $2, $3, 'parked', $4, 0)"
_GUARD = "UPDATE outbox_events SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 RETURNING id"


@pytest.fixture
async def pg(db):
    if db.kind != "postgres":
        pytest.skip("one message for the last statement and COMMIT is PostgreSQL's (SQLite commits at the block's end)")
    return db


def _record(key: str, response=None) -> sql.Statement:
    return idempotency.record(idempotency.Request(caller=NASTY, key=key, request_hash="h"), response or {"said": NASTY})


async def _elsewhere(db, query: str, *args):
    """Read on a connection of its own: what is committed."""
    connection = await asyncpg.connect(db.url)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def test_the_last_statement_commits_with_it_and_values_arrive_exactly(pg):
    event_id, key = new_id(), f"k-{uuid.uuid4()}"
    async with write_transaction() as transaction:
        sql.defer(sql.Statement(_OUTBOX, (event_id, NASTY, json.dumps({"t": NASTY}), utcnow())))
        assert await sql.commit_checked(_record(key)) == (1, None)
        assert transaction.is_over
        # Committed before the block ends: a connection of its own sees both rows.
        [outbox] = await _elsewhere(pg, "SELECT topic, payload FROM outbox_events WHERE id = $1", event_id)
        [record] = await _elsewhere(pg, "SELECT caller, response FROM idempotency_records WHERE key = $1", key)
        with pytest.raises(RuntimeError, match="committed"):
            await sql.fetch("SELECT 1")
    assert outbox["topic"] == NASTY and json.loads(outbox["payload"]) == {"t": NASTY}
    assert record["caller"] == NASTY and json.loads(record["response"]) == {"said": NASTY}


async def test_a_last_statement_that_changed_nothing_commits_nothing(pg):
    key, event_id = f"k-{uuid.uuid4()}", new_id()
    async with write_transaction():
        await sql.commit_checked(_record(key, {"first": True}))
    with pytest.raises(_RolledBack):
        async with write_transaction() as transaction:
            sql.defer(sql.Statement(_OUTBOX, (event_id, "second", "{}", utcnow())))
            assert await sql.commit_checked(_record(key, {"first": False})) == (0, None)
            assert not transaction.is_over
            assert (await sql.fetchrow("SELECT 1 AS one"))["one"] == 1  # a fresh transaction: usable
            raise _RolledBack
    assert await _elsewhere(pg, "SELECT 1 FROM outbox_events WHERE id = $1", event_id) == []
    [record] = await _elsewhere(pg, "SELECT response FROM idempotency_records WHERE key = $1", key)
    assert json.loads(record["response"]) == {"first": True}


async def test_a_failed_guard_is_named_and_commits_nothing(pg):
    counter_id, key = new_id(), f"k-{uuid.uuid4()}"
    await sql.fetch(_OUTBOX, counter_id, "counter", "{}", utcnow())
    async with write_transaction():
        guard = sql.Statement(_GUARD, (counter_id, 0), row=("outbox_events", counter_id), refusal=_never)
        sql.defer(guard)
        stored, failed = await sql.commit_checked(_record(key))
        assert (stored, failed) == (1, guard)
        assert (await sql.fetchrow("SELECT attempts FROM outbox_events WHERE id = $1", counter_id))["attempts"] == 0
    assert await _elsewhere(pg, "SELECT 1 FROM idempotency_records WHERE key = $1", key) == []


async def test_sqlite_commits_at_the_end_of_the_block(db):
    if db.kind != "sqlite":
        pytest.skip("about SQLite")
    key = f"k-{uuid.uuid4()}"
    async with write_transaction():
        assert await sql.commit_checked(_record(key)) == (1, None)
        assert await sql.fetch("SELECT 1 AS one")  # the transaction goes on until the block ends
    assert await sql.fetch("SELECT 1 FROM idempotency_records WHERE key = $1", key)


class _RolledBack(Exception):
    pass


async def _never() -> Exception:
    return AssertionError("commit_checked reports the failed guard; it does not raise its refusal")
