"""Idempotency keys on the ledger's writes: replays, conflicts, and one effect under concurrency."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from backend.core.authz import Actor, ActorKind, Permission
from backend.core.errors import DomainError
from backend.core.tables import OutboxEvent
from backend.ledger import services as ledger
from backend.ledger.tables import LedgerTransfer


def integrator() -> Actor:
    return Actor(
        kind=ActorKind.API_KEY,
        id=uuid.uuid4(),
        label="loyalty platform",
        permissions=frozenset({Permission.POINTS_WRITE, Permission.POINTS_READ}),
    )


async def test_replays_return_the_first_result(programme):
    caller, p, r = integrator(), programme.programme_id, programme.recipient_ids[0]
    earned = await ledger.earn(caller, p, r, 500, idempotency_key="earn-1")
    assert await ledger.earn(caller, p, r, 500, idempotency_key="earn-1") == earned
    hold = await ledger.reserve(caller, p, r, 200, source="loyalty_platform", idempotency_key="hold-1")
    assert await ledger.reserve(caller, p, r, 200, source="loyalty_platform", idempotency_key="hold-1") == hold
    done = await ledger.confirm(caller, hold.reservation.id, 150, idempotency_key="post-1")
    # A second confirm would be refused; with the same key it is the first confirm's result.
    assert await ledger.confirm(caller, hold.reservation.id, 150, idempotency_key="post-1") == done
    back = await ledger.reverse(caller, done.transfer.id, 50, idempotency_key="refund-1")
    assert await ledger.reverse(caller, done.transfer.id, 50, idempotency_key="refund-1") == back
    balance = await ledger.balance(caller, p, r)
    assert (balance.available, balance.pending, balance.posted) == (400, 0, 400)
    assert await LedgerTransfer.count() == 4  # earn, pending, post, reverse: nothing from the replays
    assert await OutboxEvent.count() == 4


async def test_the_same_key_for_another_request_is_a_conflict(programme):
    caller, p, r = integrator(), programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(caller, p, r, 500, idempotency_key="k")
    for other in (ledger.earn(caller, p, r, 501, idempotency_key="k"), ledger.reserve(caller, p, r, 10, idempotency_key="k")):
        with pytest.raises(DomainError) as refused:
            await other
        assert refused.value.code == "IDEMPOTENCY_CONFLICT"
    assert (await ledger.balance(caller, p, r)).available == 500 and await LedgerTransfer.count() == 1


async def test_concurrent_calls_with_one_key_make_one_reservation(programme):
    caller, p, r = integrator(), programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(caller, p, r, 100)
    results = await asyncio.gather(*(ledger.reserve(caller, p, r, 60, idempotency_key="once") for _ in range(8)))
    assert len({result.reservation.id for result in results}) == 1
    assert (await ledger.balance(caller, p, r)).available == 40


async def test_a_refused_call_can_be_retried_with_its_key(programme):
    caller, p, r = integrator(), programme.programme_id, programme.recipient_ids[0]
    with pytest.raises(DomainError) as refused:
        await ledger.reserve(caller, p, r, 60, idempotency_key="retry-me")
    assert refused.value.code == "INSUFFICIENT_POINTS"
    await ledger.earn(caller, p, r, 100)
    assert (await ledger.reserve(caller, p, r, 60, idempotency_key="retry-me")).balance.available == 40
