"""Delivering to a real receiver on loopback: retries with backoff after a failure and a timeout,
signatures a receiver can check, parking after the last try, replay, and one delivery per event."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg
import pytest
from webhook_events import QUICK, STALL_SECONDS, balance_changed, fan_out
from webhook_receiver import OK, SERVER_ERROR, Answer, stall

from backend.core import audit
from backend.core.audit import AuditFilter
from backend.core.backoff import Backoff
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.webhooks import signing
from backend.webhooks.policy import DeliveryPolicy
from backend.webhooks.services import deliveries, endpoints, sending
from backend.webhooks.services.deliveries import DeliveryFilter
from backend.webhooks.topics import BALANCE_CHANGED


async def settle(delivery_id: uuid.UUID, policy: DeliveryPolicy = QUICK) -> list[sending.AttemptOutcome]:
    """Attempt, wait for the retry the attempt scheduled, attempt again… until no retry is scheduled."""
    outcomes = []
    for _ in range(20):
        outcomes.append(outcome := await sending.attempt_delivery(delivery_id, policy))
        if outcome.retry is None:
            return outcomes
        await asyncio.sleep(max(0.0, (outcome.retry.due_at - utcnow()).total_seconds()))
    raise AssertionError(f"still retrying after 20 attempts: {outcomes}")


def recomputed_signature(secret: str, headers: dict, body: bytes) -> str:
    """The Standard Webhooks signature computed here from its definition, not with our signing module."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


async def test_a_delivery_that_fails_then_times_out_then_succeeds_records_three_attempts(admin, receiver, subscribe):
    server = receiver([SERVER_ERROR, stall(STALL_SECONDS)], then=OK)
    _, secret = await subscribe(server.url)
    payload = balance_changed(available=4200)
    event_id = uuid.uuid4()
    [first] = await fan_out(payload=payload, event_id=event_id)

    outcomes = await settle(first.delivery_id)

    assert [outcome.status for outcome in outcomes] == ["pending", "pending", "succeeded"]
    delivery = await deliveries.get_delivery(admin, first.delivery_id)
    assert (delivery.status, delivery.attempts, delivery.series, delivery.last_status_code) == ("succeeded", 3, 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None and delivery.last_error is None
    attempts = await deliveries.list_attempts(admin, first.delivery_id)
    assert [(a.number, a.status_code, a.error) for a in attempts] == [
        (1, 500, "HTTP 500"),
        (2, None, "timed out after 0.5 s"),
        (3, 200, None),
    ]
    assert attempts[0].response_excerpt == "internal error: ledger database unavailable"
    assert 450 <= attempts[1].duration_ms < STALL_SECONDS * 1000  # cut at the timeout, not at the receiver's answer
    assert [a.next_attempt_at is not None for a in attempts] == [True, True, False]
    assert attempts[2].succeeded and attempts[2].response_excerpt == '{"received": true}'

    # The receiver got three requests, each signed so that it can check them, with one message id.
    assert len(server.received) == 3
    for request in server.received:
        signing.verify(secret, request.headers, request.body)
        assert request.headers["webhook-signature"] == recomputed_signature(secret, request.headers, request.body)
        assert request.headers["content-type"] == "application/json" and request.path == "/hooks/mirabelle"
        assert json.loads(request.body) == {
            "type": BALANCE_CHANGED,
            "timestamp": json.loads(request.body)["timestamp"],
            "data": payload,
        }
    assert {request.headers["webhook-id"] for request in server.received} == {f"msg_{event_id.hex}"}
    assert len({request.body for request in server.received}) == 1  # the same message each time
    with pytest.raises(signing.InvalidSignature):
        signing.verify(signing.generate_secret(), server.received[0].headers, server.received[0].body)


async def test_a_delivery_that_always_fails_is_parked_after_the_last_try(admin, receiver, subscribe):
    server = receiver(then=Answer(503, body=b"maintenance"))
    await subscribe(server.url)
    [first] = await fan_out()

    outcomes = await settle(first.delivery_id)

    assert [outcome.status for outcome in outcomes] == ["pending", "pending", "failed"]
    delivery = await deliveries.get_delivery(admin, first.delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == ("failed", 3, 503, "HTTP 503")
    assert delivery.next_attempt_at is None and delivery.replayable
    assert len(await deliveries.list_attempts(admin, first.delivery_id)) == QUICK.max_attempts
    # Parked: nothing makes a fourth attempt, and the failure is on the audit log for a person to act on.
    assert (await sending.attempt_delivery(first.delivery_id, QUICK)).status == sending.SKIPPED
    assert await deliveries.due_attempts() == []
    assert len(server.received) == 3
    [parked] = (await audit.search(admin, AuditFilter(action="webhook_delivery.failed"))).rows
    assert parked["entity_id"] == str(first.delivery_id) and parked["after"]["attempts"] == 3
    failures = await deliveries.list_deliveries(admin, DeliveryFilter(status="failed"))
    assert [row.id for row in failures.rows] == [first.delivery_id]


async def test_retry_delays_grow_exponentially_and_are_jittered(admin, receiver, subscribe):
    server = receiver(then=SERVER_ERROR)
    policy = DeliveryPolicy(max_attempts=3, backoff=Backoff(base_seconds=0.2, cap_seconds=10), timeout_seconds=1)
    await subscribe(server.url)
    made = []
    for _ in range(6):
        made += await fan_out()

    await asyncio.gather(*(settle(due.delivery_id, policy) for due in made))

    delays: dict[int, list[float]] = {1: [], 2: []}
    for due in made:
        for attempt in (await deliveries.list_attempts(admin, due.delivery_id))[:2]:
            finished = attempt.started_at + timedelta(milliseconds=attempt.duration_ms)
            delays[attempt.number].append((attempt.next_attempt_at - finished).total_seconds())
    for number, ceiling in ((1, 0.2), (2, 0.4)):  # base·2^(n−1), the delay drawn from [ceiling/2, ceiling]
        assert all(ceiling / 2 - 0.002 <= delay <= ceiling + 0.1 for delay in delays[number]), (number, delays[number])
        assert len({round(delay, 3) for delay in delays[number]}) > 1, delays[number]  # jittered, not in lockstep
    assert max(delays[1]) <= min(delays[2]) + 0.1  # the second wait is longer than the first


async def test_replay_sends_a_failed_delivery_again_as_a_new_series(admin, receiver, subscribe):
    server = receiver(then=SERVER_ERROR)
    _, secret = await subscribe(server.url)
    [first] = await fan_out()
    await settle(first.delivery_id)

    server.answer_next(then=OK)  # the receiver is fixed
    replayed = await deliveries.replay(admin, first.delivery_id)

    assert (replayed.status, replayed.series, replayed.attempts, replayed.last_error) == ("pending", 2, 0, None)
    [entry] = (await audit.search(admin, AuditFilter(action="webhook_delivery.replayed"))).rows
    assert entry["actor_label"] == "admin@example.com"
    assert (entry["before"]["status"], entry["before"]["series"], entry["after"]["status"], entry["after"]["series"]) == (
        "failed",
        1,
        "pending",
        2,
    )
    assert [o.status for o in await settle(first.delivery_id)] == ["succeeded"]
    attempts = await deliveries.list_attempts(admin, first.delivery_id)
    assert [(a.series, a.number, a.status_code) for a in attempts] == [(1, 1, 500), (1, 2, 500), (1, 3, 500), (2, 1, 200)]
    signing.verify(secret, server.received[-1].headers, server.received[-1].body)

    # A succeeded delivery may be sent again too; one still being tried may not.
    assert (await deliveries.replay(admin, first.delivery_id)).series == 3
    with pytest.raises(DomainError, match="NOT_REPLAYABLE"):
        await deliveries.replay(admin, first.delivery_id)
    assert (await deliveries.get_delivery(admin, first.delivery_id)).series == 3  # the refusal changed nothing


async def test_one_event_makes_one_delivery_per_subscribed_enabled_endpoint(admin, receiver, subscribe):
    loyalty, _ = await subscribe(receiver().url)
    crm, _ = await subscribe(receiver().url, description="CRM")
    switched_off, _ = await subscribe(receiver().url, description="Old bridge")
    await endpoints.set_enabled(admin, switched_off.id, False)
    event_id = uuid.uuid4()

    made = await fan_out(event_id=event_id)
    again = await fan_out(event_id=event_id)  # the same outbox event handled a second time
    other_topic = await fan_out(topic="ledger.balance", event_id=uuid.uuid4())  # not a subscription, only a prefix of one

    assert len(made) == 2 and again == [] and other_topic == []
    page = await deliveries.list_deliveries(admin, DeliveryFilter(event_id=event_id))
    assert sorted(row.endpoint_id for row in page.rows) == sorted([loyalty.id, crm.id]) and page.total == 2


async def test_concurrent_attempts_at_one_delivery_send_it_once(admin, receiver, subscribe, db):
    server = receiver(then=Answer(200, stall_seconds=0.2))
    await subscribe(server.url)
    [first] = await fan_out()

    async with row_held_on_postgres(db, first.delivery_id):
        # Every attempt reads the delivery as pending meanwhile; their claims queue behind the lock.
        attempts = [asyncio.create_task(sending.attempt_delivery(first.delivery_id, QUICK)) for _ in range(6)]
        await asyncio.sleep(0.3)
    outcomes = await asyncio.gather(*attempts)

    assert sorted(outcome.status for outcome in outcomes) == ["skipped"] * 5 + ["succeeded"]
    assert len(server.received) == 1
    assert len(await deliveries.list_attempts(admin, first.delivery_id)) == 1


@asynccontextmanager
async def row_held_on_postgres(db, delivery_id: uuid.UUID):
    """On PostgreSQL, a lock on the delivery row from another connection, so that the concurrent
    claims overlap: only the conditional UPDATE then stands between them and a double send. (SQLite
    serialises write transactions, BEGIN IMMEDIATE, so they cannot overlap there.)"""
    if db.kind != "postgres":
        yield
        return
    connection = await asyncpg.connect(db.url)
    try:
        async with connection.transaction():
            await connection.execute("SELECT id FROM webhook_deliveries WHERE id = $1 FOR UPDATE", delivery_id)
            yield
    finally:
        await connection.close()


async def test_an_attempt_cut_short_by_a_dying_worker_is_recorded_as_abandoned_and_made_again(admin, receiver, subscribe):
    server = receiver([stall(5)], then=OK)
    await subscribe(server.url)
    [first] = await fan_out()
    sending_task = asyncio.create_task(sending.attempt_delivery(first.delivery_id, QUICK))
    while not server.received:
        await asyncio.sleep(0.01)
    sending_task.cancel()  # the worker is gone mid-request: nothing is recorded, the claim stays
    with pytest.raises(asyncio.CancelledError):
        await sending_task
    assert (await deliveries.get_delivery(admin, first.delivery_id)).status == "delivering"
    assert (await sending.attempt_delivery(first.delivery_id, QUICK)).status == sending.SKIPPED  # its claim still holds

    await asyncio.sleep(QUICK.lease.total_seconds())
    [due] = await deliveries.due_attempts()  # what the cron would enqueue
    assert (due.delivery_id, due.series, due.number) == (first.delivery_id, 1, 2)
    assert (await sending.attempt_delivery(first.delivery_id, QUICK)).status == "succeeded"
    attempts = await deliveries.list_attempts(admin, first.delivery_id)
    assert [(a.number, a.error) for a in attempts] == [(1, sending.ABANDONED), (2, None)]


async def test_disabling_an_endpoint_stops_its_pending_deliveries(admin, receiver, subscribe):
    server = receiver()
    endpoint, _ = await subscribe(server.url)
    [first] = await fan_out()

    _, stopped = await endpoints.set_enabled(admin, endpoint.id, False)

    assert stopped == 1
    assert (await sending.attempt_delivery(first.delivery_id, QUICK)).status == sending.SKIPPED
    delivery = await deliveries.get_delivery(admin, first.delivery_id)
    assert (delivery.status, delivery.last_error) == ("failed", "not sent: the endpoint was disabled")
    with pytest.raises(DomainError, match="ENDPOINT_DISABLED"):
        await deliveries.replay(admin, first.delivery_id)
    await endpoints.set_enabled(admin, endpoint.id, True)
    await deliveries.replay(admin, first.delivery_id)
    assert [o.status for o in await settle(first.delivery_id)] == ["succeeded"]
    assert len(server.received) == 1


async def test_an_attempt_in_flight_when_its_endpoint_is_disabled_makes_no_retry(admin, receiver, subscribe):
    server = receiver([Answer(500, stall_seconds=0.4)])  # disabled while it stalls, within QUICK's timeout
    endpoint, _ = await subscribe(server.url)
    [first] = await fan_out()
    in_flight = asyncio.create_task(sending.attempt_delivery(first.delivery_id, QUICK))
    while not server.received:
        await asyncio.sleep(0.01)

    _, stopped = await endpoints.set_enabled(admin, endpoint.id, False)
    outcome = await in_flight

    assert stopped == 0 and outcome.status == "pending"  # it was delivering, not pending, when disabled
    await asyncio.sleep(max(0.0, (outcome.retry.due_at - utcnow()).total_seconds()))
    assert (await sending.attempt_delivery(first.delivery_id, QUICK)).status == "failed"
    delivery = await deliveries.get_delivery(admin, first.delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "not sent: the endpoint was disabled")
    assert len(server.received) == 1
