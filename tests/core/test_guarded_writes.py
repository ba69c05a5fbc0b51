"""Guarded deferred writes (``backend.core.sql``): a use case's deciding UPDATE goes out with its
last statement, and a guard that changed nothing refuses the whole effect — with idempotency keys
as with every refusal: nothing stored, the key free again, and an earlier call's result replayed.

The guard here is a conditional UPDATE of an outbox row's ``attempts`` used as a counter under a
cap (any table would do; this one is core's own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from backend.core import audit, idempotency, sql
from backend.core.authz import Actor, ActorKind
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.tables import AuditEvent, IdempotencyRecord

_COUNTER = """INSERT INTO outbox_events (id, topic, payload, status, created_at, attempts)
VALUES ($1, $2, '{}', 'parked', $3, 0)"""
# The "rule": the counter goes up by one only while below the cap.
_TAKE = "UPDATE outbox_events SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 RETURNING id"


@dataclass(frozen=True)
class Taken:
    note: str


async def _counter(name: str) -> uuid.UUID:
    counter_id = new_id()
    await sql.fetch(_COUNTER, counter_id, f"test.{name}", utcnow())
    return counter_id


async def _value(counter_id: uuid.UUID) -> int:
    return (await sql.fetchrow("SELECT attempts FROM outbox_events WHERE id = $1", counter_id))["attempts"]


async def take(actor: Actor, counter_id: uuid.UUID, cap: int, key: str | None) -> idempotency.Outcome[Taken]:
    async def effect() -> Taken:
        await audit.record(actor, "counter.taken", "counter", counter_id)

        async def why_not() -> Exception:
            return DomainError.single("CAP_REACHED", f"the counter is at its cap of {cap}")

        sql.defer(sql.Statement(_TAKE, (counter_id, cap), row=("counter", counter_id), refusal=why_not))
        return Taken(note="taken")

    return await idempotency.once(idempotency.Request.of(actor, key, "test.take", {"counter": counter_id}), effect, Taken)


def caller() -> Actor:
    return Actor(kind=ActorKind.API_KEY, id=uuid.uuid4(), label="integrator")


async def taken_count() -> int:
    return await AuditEvent.count().where(AuditEvent.action == "counter.taken")


async def test_a_guard_that_holds_lets_the_effect_happen_in_one_last_statement(db):
    counter, actor = await _counter("a"), caller()
    outcome = await take(actor, counter, cap=2, key="k-1")
    assert not outcome.replayed and await _value(counter) == 1 and await taken_count() == 1


async def test_a_guard_that_fails_refuses_everything_and_stores_no_key(db):
    counter, actor = await _counter("a"), caller()
    await take(actor, counter, cap=1, key="k-1")
    with pytest.raises(DomainError) as refused:
        await take(actor, counter, cap=1, key="k-2")
    assert refused.value.code == "CAP_REACHED"
    assert await _value(counter) == 1 and await taken_count() == 1  # the audit entry of the refused call rolled back
    assert await IdempotencyRecord.count().where(IdempotencyRecord.key == "k-2") == 0  # the key is free again
    assert not (await take(actor, counter, cap=2, key="k-2")).replayed  # once the cap is raised, the same key works


async def test_a_failed_guard_with_a_key_already_used_replays_the_first_result(db):
    counter, actor = await _counter("a"), caller()
    first = await take(actor, counter, cap=1, key="k-1")
    again = await take(actor, counter, cap=1, key="k-1")  # the cap is reached now, but this call happened before
    assert again.replayed and again.value == first.value and await _value(counter) == 1


async def test_without_a_key_a_failed_guard_raises_its_refusal(db):
    counter, actor = await _counter("a"), caller()
    await take(actor, counter, cap=1, key=None)
    with pytest.raises(DomainError, match="cap of 1"):
        await take(actor, counter, cap=1, key=None)
    assert await _value(counter) == 1 and await taken_count() == 1


async def test_a_read_while_a_guard_waits_checks_the_guard_first(db):
    counter = await _counter("a")
    with pytest.raises(DomainError, match="cap of 0"):
        async with write_transaction():

            async def why_not() -> Exception:
                return DomainError.single("CAP_REACHED", "the counter is at its cap of 0")

            sql.defer(sql.Statement(_TAKE, (counter, 0), row=("counter", counter), refusal=why_not))
            await sql.fetch("SELECT 1 AS one")
    assert await _value(counter) == 0


async def test_a_guard_must_say_whether_it_took_effect(db):
    async def why_not() -> Exception:
        return DomainError.single("X", "x")

    with pytest.raises(ValueError, match="RETURNING"):
        async with write_transaction():
            sql.defer(sql.Statement("UPDATE t SET a = 1 WHERE id = $1", (1,), row=("t", 1), refusal=why_not))


async def test_writes_still_deferred_go_out_before_the_commit(db):
    """A use case joined to an outer one (``once`` without a key) leaves its deferred writes to the
    outer transaction, which sends them with its next statement or, at the latest, before committing."""
    counter, actor = await _counter("a"), caller()

    async def effect() -> Taken:
        sql.defer(audit.entry(actor, "counter.noted", "counter", counter))
        return Taken(note="noted")

    async with write_transaction():
        await idempotency.once(None, effect, Taken)
        assert sql._queue(), "joined: its write waits for the outer transaction's next statement"
    assert await AuditEvent.count().where(AuditEvent.action == "counter.noted") == 1


async def test_a_guard_still_waiting_at_the_commit_refuses_and_rolls_back(db):
    counter = await _counter("a")

    async def why_not() -> Exception:
        return DomainError.single("CAP_REACHED", "the counter is at its cap of 0")

    with pytest.raises(DomainError, match="cap of 0"):
        async with write_transaction():
            await audit.record(caller(), "counter.tried", "counter", counter)
            sql.defer(sql.Statement(_TAKE, (counter, 0), row=("counter", counter), refusal=why_not))
    assert await AuditEvent.count().where(AuditEvent.action == "counter.tried") == 0
    assert await _value(counter) == 0
