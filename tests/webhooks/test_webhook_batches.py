"""The senders' batches (sending.send_due): due deliveries claimed in one statement, POSTed
concurrently, recorded in one transaction; retries taken when due; what is not theirs (an expired
claim, a disabled endpoint's delivery) left to the delivery job the cron rings; and two senders at
once sending each delivery once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from webhook_events import QUICK, balance_changed
from webhook_receiver import OK, SERVER_ERROR, Answer

from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.webhooks import signing
from backend.webhooks.services import deliveries, endpoints, sending
from backend.webhooks.services.deliveries import DeliveryFilter
from backend.webhooks.tables import WebhookDelivery
from backend.webhooks.topics import BALANCE_CHANGED


async def made(count: int) -> list:
    """``count`` balance changes fanned out to every subscribed endpoint, as one outbox batch does."""
    async with write_transaction():
        return await deliveries.enqueue_deliveries(
            BALANCE_CHANGED, [(uuid.uuid4(), balance_changed(available=n)) for n in range(count)]
        )


async def test_one_batch_sends_every_due_delivery_to_every_endpoint_and_records_each(admin, receiver, subscribe):
    first, second = receiver(then=OK), receiver(then=OK)
    _, first_secret = await subscribe(first.url)
    await subscribe(second.url, description="Data warehouse")
    due = await made(30)
    assert len(due) == 60

    outcomes = await sending.send_due(QUICK, batch=100)

    assert [outcome.status for outcome in outcomes] == ["succeeded"] * 60
    assert len(first.received) == len(second.received) == 30
    assert {request.headers["webhook-id"] for request in first.received} == {
        request.headers["webhook-id"] for request in second.received
    }
    for request in first.received:
        signing.verify(first_secret, request.headers, request.body)
    page = await deliveries.list_deliveries(admin, DeliveryFilter(status="succeeded"), limit=100)
    assert page.total == 60
    for delivery in page.rows[:5]:
        [attempt] = await deliveries.list_attempts(admin, delivery.id)
        assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, None)
    assert await sending.send_due(QUICK) == []  # nothing left due


async def test_a_batch_is_bounded_and_the_next_one_takes_the_rest(receiver, subscribe):
    server = receiver(then=OK)
    await subscribe(server.url)
    await made(25)

    assert len(await sending.send_due(QUICK, batch=10)) == 10
    assert len(await sending.send_due(QUICK, batch=10)) == 10
    assert len(await sending.send_due(QUICK, batch=10)) == 5
    assert len(server.received) == 25
    assert len({request.headers["webhook-id"] for request in server.received}) == 25


async def test_a_failed_attempt_is_retried_by_a_later_batch_once_due_and_parked_after_the_last(admin, receiver, subscribe):
    server = receiver([SERVER_ERROR], then=Answer(503, body=b"maintenance"))
    await subscribe(server.url)
    [due] = await made(1)

    [first] = await sending.send_due(QUICK)
    assert first.status == "pending" and first.retry.number == 2
    assert await sending.send_due(QUICK) == []  # not due yet: the backoff holds it
    await asyncio.sleep(max(0.0, (first.retry.due_at - utcnow()).total_seconds()) + 0.01)
    [second] = await sending.send_due(QUICK)
    assert second.status == "pending" and second.number == 2
    await asyncio.sleep(max(0.0, (second.retry.due_at - utcnow()).total_seconds()) + 0.01)
    [third] = await sending.send_due(QUICK)

    assert third.status == "failed" and third.retry is None
    delivery = await deliveries.get_delivery(admin, due.delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 503")
    attempts = await deliveries.list_attempts(admin, due.delivery_id)
    assert [(a.number, a.status_code) for a in attempts] == [(1, 500), (2, 503), (3, 503)]
    await asyncio.sleep(0.3)
    assert await sending.send_due(QUICK) == []  # parked: no fourth attempt
    assert len(server.received) == 3


async def test_what_is_not_the_senders_is_left_to_the_cron_and_the_delivery_job(admin, receiver, subscribe):
    """A disabled endpoint's delivery that raced the disabling, and a claim that expired (its worker
    was killed): the batch takes neither; the cron finds both for the job, which stops the first and
    records the lost attempt of the second before sending it again."""
    kept, dropped = receiver(then=OK), receiver(then=OK)
    await subscribe(kept.url)
    dropped_endpoint, _ = await subscribe(dropped.url, description="Retired gateway")
    due = await made(1)  # one event, a delivery to each endpoint
    by_endpoint = {
        row["id"]: row["endpoint"]
        for row in await WebhookDelivery.select(WebhookDelivery.id, WebhookDelivery.endpoint).where(
            WebhookDelivery.id.is_in([d.delivery_id for d in due])
        )
    }
    raced = next(d.delivery_id for d in due if by_endpoint[d.delivery_id] == dropped_endpoint.id)
    expired = next(d.delivery_id for d in due if by_endpoint[d.delivery_id] != dropped_endpoint.id)
    # The endpoint is disabled (which stops its deliveries), then a delivery made in a race with it
    # is put back to pending; the other delivery's worker claimed it and died.
    await endpoints.set_enabled(admin, dropped_endpoint.id, False)
    await WebhookDelivery.update({WebhookDelivery.status: "pending", WebhookDelivery.next_attempt_at: utcnow()}).where(
        WebhookDelivery.id == raced
    )
    long_ago = utcnow() - timedelta(minutes=5)
    await WebhookDelivery.update(
        {WebhookDelivery.status: "delivering", WebhookDelivery.attempts: 1, WebhookDelivery.claimed_until: long_ago}
    ).where(WebhookDelivery.id == expired)

    assert await sending.send_due(QUICK) == []
    assert {d.delivery_id for d in await deliveries.due_attempts()} == {raced, expired}

    assert (await sending.attempt_delivery(raced, QUICK)).status == "failed"
    assert (await sending.attempt_delivery(expired, QUICK)).status == "succeeded"
    assert (await deliveries.get_delivery(admin, raced)).last_error == endpoints.STOPPED_BY_DISABLE
    attempts = await deliveries.list_attempts(admin, expired)
    assert [(a.number, a.error is not None) for a in attempts] == [(1, True), (2, False)]
    assert dropped.received == [] and len(kept.received) == 1
    assert await deliveries.due_attempts() == []


async def test_two_senders_at_once_send_every_delivery_exactly_once(admin, receiver, subscribe, db):
    """On PostgreSQL the two claims overlap and SKIP LOCKED splits the work; on SQLite they take turns."""
    server = receiver(then=Answer(200, stall_seconds=0.02))
    await subscribe(server.url)
    await made(300)

    async def sender() -> int:
        handled = 0
        while outcomes := await sending.send_due(QUICK, batch=40):
            handled += len(outcomes)
        return handled

    handled = await asyncio.gather(*(sender() for _ in range(3)))

    assert sum(handled) == 300
    ids = [request.headers["webhook-id"] for request in server.received]
    assert len(ids) == len(set(ids)) == 300
    assert (await deliveries.list_deliveries(admin, DeliveryFilter(status="succeeded"))).total == 300
