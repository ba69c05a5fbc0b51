"""The idempotency helper on its own: the effect is an audit entry, the result a small dataclass."""

from __future__ import annotations

import asyncio
import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from backend.core import audit, idempotency
from backend.core.authz import SYSTEM, Actor, ActorKind
from backend.core.errors import DomainError
from backend.core.idempotency import Request
from backend.core.tables import AuditEvent, IdempotencyRecord


class Colour(str, enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    at: datetime
    colour: Colour


@dataclass(frozen=True)
class Made:
    id: uuid.UUID
    amount: int
    note: str | None
    inner: Inner
    tags: list[str]


def key_actor(name: str = "integrator") -> Actor:
    return Actor(kind=ActorKind.API_KEY, id=uuid.uuid4(), label=name)


async def make(actor: Actor, key: str | None, amount: int, *, fail: bool = False, pause: float = 0) -> idempotency.Outcome[Made]:
    request = Request.of(actor, key, "test.make", {"amount": amount})

    async def effect() -> Made:
        await audit.record(actor, "thing.made", "thing", amount)
        if pause:
            await asyncio.sleep(pause)  # hold the transaction open while the other call arrives
        if fail:
            raise DomainError.single("REFUSED", "not today")
        return Made(id=uuid.uuid4(), amount=amount, note=None, inner=Inner(datetime.now(UTC), Colour.RED), tags=["a"])

    return await idempotency.once(request, effect, Made)


async def made_count() -> int:
    return await AuditEvent.count().where(AuditEvent.action == "thing.made")


async def test_a_replay_returns_the_first_result_and_has_no_second_effect(db):
    caller = key_actor()
    first = await make(caller, "k-1", 10)
    again = await make(caller, "k-1", 10)
    assert not first.replayed and again.replayed
    assert again.value == first.value  # every field, nested dataclass, enum and aware datetime included
    assert await made_count() == 1


async def test_the_same_key_with_another_request_is_a_conflict_and_changes_nothing(db):
    caller = key_actor()
    await make(caller, "k-1", 10)
    with pytest.raises(DomainError) as refused:
        await make(caller, "k-1", 11)
    assert refused.value.code == "IDEMPOTENCY_CONFLICT" and refused.value.errors[0].field == "idempotency_key"
    assert await made_count() == 1 and await IdempotencyRecord.count() == 1


async def test_keys_belong_to_their_caller(db):
    await make(key_actor("a"), "shared", 10)
    other = await make(key_actor("b"), "shared", 10)
    assert not other.replayed and await made_count() == 2


async def test_a_refusal_stores_nothing_so_the_key_can_be_used_again(db):
    caller = key_actor()
    with pytest.raises(DomainError, match="not today"):
        await make(caller, "k-1", 10, fail=True)
    assert await made_count() == 0 and await IdempotencyRecord.count() == 0
    assert not (await make(caller, "k-1", 10)).replayed


async def test_a_refusal_caused_by_the_first_call_replays_the_first_call(db):
    """A second confirm of one reservation is refused by the ledger; with the first confirm's key
    it returns the first confirm's result instead."""
    caller = key_actor()
    first = await make(caller, "k-1", 10)
    again = await make(caller, "k-1", 10, fail=True)
    assert again.replayed and again.value == first.value


async def test_concurrent_calls_with_one_key_have_one_effect(db):
    caller = key_actor()
    outcomes = await asyncio.gather(*(make(caller, "k-1", 10, pause=0.2) for _ in range(4)))
    assert sum(not outcome.replayed for outcome in outcomes) == 1
    assert len({outcome.value.id for outcome in outcomes}) == 1
    assert await made_count() == 1


async def test_without_a_key_every_call_has_its_effect(db):
    await make(SYSTEM, None, 10)
    await make(SYSTEM, None, 10)
    assert await made_count() == 2


@pytest.mark.parametrize("key", ["", "   ", "x" * 201, "tab\tin"])
async def test_a_malformed_key_is_refused(db, key):
    with pytest.raises(DomainError) as refused:
        await make(key_actor(), key, 10)
    assert refused.value.code == "IDEMPOTENCY_KEY_INVALID"


async def test_a_keyed_call_inside_another_transaction_is_a_programming_error(db):
    from backend.core.db import write_transaction

    with pytest.raises(RuntimeError, match="own its transaction"):
        async with write_transaction():
            await make(key_actor(), "k-1", 10)


async def test_old_records_can_be_pruned_and_their_keys_reused(db):
    from datetime import timedelta

    caller = key_actor()
    await make(caller, "old", 10)
    cutoff = datetime.now(UTC) + timedelta(seconds=1)
    assert await idempotency.prune(before=cutoff, batch=10) == 1
    assert await IdempotencyRecord.count() == 0
    assert not (await make(caller, "old", 10)).replayed  # forgotten: a new call
    assert await idempotency.prune(before=datetime.now(UTC) - timedelta(days=1)) == 0
