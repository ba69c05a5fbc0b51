"""A use case as one autocommit statement (``sql.fetch_chained``, PostgreSQL): the deciding UPDATE
and what follows from it, with values only the database knows (``sql.Expr``), all or nothing.

The "use case" here takes one from a counter (an outbox row's ``attempts``, used as a number
that must not go below zero; any table would do) and writes an audit entry whose ``after`` the
database fills in from the counter's new value, and an idempotency record."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from backend.core import audit, idempotency, sql
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.ids import new_id
from backend.core.tables import AuditEvent, IdempotencyRecord

_COUNTER = """INSERT INTO outbox_events (id, topic, payload, status, created_at, attempts)
VALUES ($1, 'test.counter', '{}', 'parked', $2, $3)"""
_TAKE = "UPDATE outbox_events SET attempts = attempts - $2 WHERE id = $1 AND attempts >= $2 RETURNING id, attempts"
# The first statement may itself be a WITH (it is hoisted: PostgreSQL allows data-modifying CTEs only at the top).
_TAKE_VIA_CTE = """WITH target AS (SELECT id FROM outbox_events WHERE id = $1)
UPDATE outbox_events SET attempts = attempts - $2 FROM target WHERE outbox_events.id = target.id AND attempts >= $2
RETURNING outbox_events.id, attempts"""


@pytest.fixture
async def pg(db):
    if db.kind != "postgres":
        pytest.skip("one autocommit statement per use case is PostgreSQL's (SQLite runs the transaction)")
    return db


async def _counter(value: int) -> uuid.UUID:
    counter_id = new_id()
    await sql.fetch(_COUNTER, counter_id, utcnow(), value)
    return counter_id


async def _value(counter_id: uuid.UUID) -> int:
    return (await sql.fetchrow("SELECT attempts FROM outbox_events WHERE id = $1", counter_id))["attempts"]


def _take(
    counter_id: uuid.UUID, amount: int, key: str | None = None, first: str = _TAKE
) -> tuple[sql.Statement, list[sql.Statement]]:
    after = sql.Expr(
        "$1::jsonb || jsonb_build_object('left', d.attempts, 'twice', d.attempts * $2)", (json.dumps({"took": amount}), 2)
    )
    then = [audit.entry(SYSTEM, "counter.taken", "counter", counter_id, after=after)]
    if key is not None:
        request = idempotency.Request(caller="test", key=key, request_hash="h")
        record = idempotency.record(request, {"took": amount})
        then.append(sql.Statement(record.sql, record.args, refusal=_never))
    return sql.Statement(first, (counter_id, amount)), then


async def _never() -> Exception:
    return AssertionError("fetch_chained answers None instead")


async def _after(counter_id: uuid.UUID) -> list[dict]:
    rows = await AuditEvent.select(AuditEvent.after).where(AuditEvent.entity_id == str(counter_id)).order_by(AuditEvent.id)
    return [json.loads(row["after"]) if isinstance(row["after"], str) else row["after"] for row in rows]


async def test_the_deciding_row_and_what_follows_from_it_are_written_together(pg):
    counter_id = await _counter(10)
    row = await sql.fetch_chained(*_take(counter_id, 3))
    assert row["attempts"] == 7 and await _value(counter_id) == 7
    assert await _after(counter_id) == [{"took": 3, "left": 7, "twice": 14}]


async def test_when_the_rule_refuses_nothing_is_written(pg):
    counter_id = await _counter(2)
    assert await sql.fetch_chained(*_take(counter_id, 3, key="k1")) is None
    assert await _value(counter_id) == 2 and await _after(counter_id) == []
    assert await IdempotencyRecord.count() == 0


async def test_a_guarded_write_that_changes_nothing_undoes_the_whole_statement(pg):
    counter_id = await _counter(10)
    assert (await sql.fetch_chained(*_take(counter_id, 3, key="once")))["attempts"] == 7
    # The same key again: its record exists, so the counter's move and the audit entry are undone too.
    assert await sql.fetch_chained(*_take(counter_id, 3, key="once")) is None
    assert await _value(counter_id) == 7 and len(await _after(counter_id)) == 1
    assert await IdempotencyRecord.count() == 1


async def test_concurrent_statements_with_one_key_take_once(pg):
    counter_id = await _counter(100)
    rows = await asyncio.gather(*(sql.fetch_chained(*_take(counter_id, 1, key="race")) for _ in range(8)))
    assert sum(row is not None for row in rows) == 1
    assert await _value(counter_id) == 99 and len(await _after(counter_id)) == 1


async def test_a_first_statement_with_its_own_with_clause(pg):
    counter_id = await _counter(5)
    assert (await sql.fetch_chained(*_take(counter_id, 5, first=_TAKE_VIA_CTE)))["attempts"] == 0
    assert await sql.fetch_chained(*_take(counter_id, 1, first=_TAKE_VIA_CTE)) is None
    assert await _after(counter_id) == [{"took": 5, "left": 0, "twice": 0}]


async def test_inside_a_transaction_it_is_one_statement_of_it_and_has_no_guard(pg):
    counter_id = await _counter(5)
    with pytest.raises(RuntimeError, match="outside a transaction"):
        async with write_transaction():
            await sql.fetch_chained(*_take(counter_id, 1, key="in-a-transaction"))
    with pytest.raises(ZeroDivisionError):
        async with write_transaction():
            assert (await sql.fetch_chained(*_take(counter_id, 2)))["attempts"] == 3
            raise ZeroDivisionError  # the caller's rollback undoes it with the rest
    assert await _value(counter_id) == 5 and await _after(counter_id) == []
    async with write_transaction():
        await sql.fetch_chained(*_take(counter_id, 2))
    assert await _value(counter_id) == 3


async def test_sqlite_runs_use_cases_as_transactions(db):
    if db.kind != "sqlite":
        pytest.skip("about SQLite")
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        await sql.fetch_chained(*_take(await _counter(5), 1))
