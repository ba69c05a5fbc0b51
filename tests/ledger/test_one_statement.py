"""Reserve, confirm and release as one statement each on PostgreSQL (``ledger.at_once``): the
same results, audit entries, events and stored first results as the transaction they replace,
and the general way whenever the one statement cannot decide."""

from __future__ import annotations

import json
import uuid

import pytest

from backend.core.authz import Actor, ActorKind, Permission
from backend.core.errors import DomainError
from backend.core.tables import AuditEvent, IdempotencyRecord, OutboxEvent
from backend.ledger import accounts, at_once
from backend.ledger import services as ledger
from backend.ledger.kinds import ReservationStatus


def integrator() -> Actor:
    return Actor(
        kind=ActorKind.API_KEY,
        id=uuid.uuid4(),
        label="loyalty platform",
        permissions=frozenset({Permission.POINTS_WRITE, Permission.POINTS_READ}),
    )


@pytest.fixture
def one_statements(db, monkeypatch) -> list:
    """What ``at_once.post`` answered, call by call (None: it changed nothing, the general way ran)."""
    if db.kind != "postgres":
        pytest.skip("SQLite runs every use case as a transaction")
    answers, post = [], at_once.post

    async def counted(*args, **kwargs):
        answers.append(await post(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(at_once, "post", counted)
    return answers


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


async def test_reserve_confirm_and_release_each_go_in_one_statement(programme, one_statements):
    caller, p, r = integrator(), programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(caller, p, r, 1000)
    hold = await ledger.reserve(caller, p, r, 300, source="marketplace", reference="order-1", idempotency_key="hold")
    done = await ledger.confirm(caller, hold.reservation.id, 200, idempotency_key="post")
    other = await ledger.reserve(caller, p, r, 100, idempotency_key="hold-2")
    freed = await ledger.release(caller, other.reservation.id, "basket abandoned", idempotency_key="free")
    assert len(one_statements) == 4 and all(answer is not None for answer in one_statements)

    assert (hold.balance.available, hold.balance.pending, hold.balance.posted) == (700, 300, 1000)
    assert hold.balance.recipient_external_id == "Loyalty-R0" and hold.reservation.wallet_id == hold.balance.wallet_id
    assert done.reservation.status is ReservationStatus.POSTED and done.reservation.posted_amount == 200
    assert done.reservation.closing_transfer_id == done.transfer.id and done.transfer.reference == "order-1"
    assert (done.balance.available, done.balance.pending, done.balance.posted) == (800, 0, 800)
    assert (freed.balance.available, freed.balance.pending, freed.balance.posted) == (800, 0, 800)
    assert freed.reservation.status is ReservationStatus.VOIDED and freed.transfer.reason == "basket abandoned"

    # Replays return exactly the first results: the balances the database filled in were stored.
    assert await ledger.reserve(caller, p, r, 300, source="marketplace", reference="order-1", idempotency_key="hold") == hold
    assert await ledger.confirm(caller, hold.reservation.id, 200, idempotency_key="post") == done
    assert await ledger.release(caller, other.reservation.id, "basket abandoned", idempotency_key="free") == freed
    assert await IdempotencyRecord.count() == 4

    audit = (
        await AuditEvent.select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
        .where(AuditEvent.action == "points.released")
        .first()
    )
    assert _json(audit["before"]) == {"available": 700, "pending": 100, "posted": 800}
    after = _json(audit["after"])
    assert (after["available"], after["pending"], after["posted"], after["phase"]) == (800, 0, 800, "void")
    events = (
        await OutboxEvent.select(OutboxEvent.payload, OutboxEvent.enqueued_at)
        .where(OutboxEvent.topic == "ledger.balance_changed")
        .order_by(OutboxEvent.id)
    )
    # With no Redis to ring, nothing is stamped as handed over: the relay's next tick takes every event.
    assert len(events) == 5 and all(event["enqueued_at"] is None for event in events)
    last = _json(events[-1]["payload"])
    assert (last["available"], last["pending"], last["posted"], last["recipient_external_id"]) == (800, 0, 800, "Loyalty-R0")
    assert last["wallet_id"] == str(hold.balance.wallet_id) and last["transfer_id"] == str(freed.transfer.id)


async def test_what_one_statement_cannot_decide_goes_the_general_way(programme, one_statements):
    caller, p, r = integrator(), programme.programme_id, programme.recipient_ids[1]
    await ledger.earn(caller, p, r, 100)
    with pytest.raises(DomainError) as refused:
        await ledger.reserve(caller, p, r, 101)
    assert refused.value.code == "INSUFFICIENT_POINTS" and one_statements == [None]  # tried, changed nothing, explained
    hold = await ledger.reserve(caller, p, r, 60)
    await ledger.release(caller, hold.reservation.id)
    with pytest.raises(DomainError) as refused:
        await ledger.confirm(caller, hold.reservation.id)
    assert refused.value.code == "RESERVATION_NOT_PENDING"
    assert len(one_statements) == 3  # the confirm of a closed reservation never sends the statement


async def test_a_wallet_id_remembered_from_another_database_does_no_harm(programme, one_statements):
    caller, p, r = integrator(), programme.programme_id, programme.recipient_ids[2]
    await ledger.earn(caller, p, r, 100)
    accounts._KNOWN_WALLETS[(p, r)] = uuid.uuid4()  # no such wallet here
    hold = await ledger.reserve(caller, p, r, 40)
    assert one_statements == [None] and hold.balance.available == 60
    assert accounts._KNOWN_WALLETS.get((p, r)) is None  # forgotten: the next call reads the real one
    await ledger.reserve(caller, p, r, 10)
    assert one_statements[-1] is not None and accounts._KNOWN_WALLETS[(p, r)] == hold.balance.wallet_id
