"""The whole chain on the real worker and a real Redis: a balance change written to the outbox (as
the ledger does) reaches the receiver through the outbox handler and the delivery job, retried after
a failure and a timeout; and deliveries nobody rang for are found by the worker's cron."""

from __future__ import annotations

import pytest
from arq.connections import RedisSettings, create_pool
from webhook_events import QUICK, STALL_SECONDS, balance_changed, fan_out
from webhook_receiver import OK, SERVER_ERROR, stall
from worker_harness import eventually, running_worker

from backend.core import outbox
from backend.core.db import write_transaction
from backend.core.tables import OutboxEvent
from backend.webhooks import signing
from backend.webhooks.services import deliveries
from backend.webhooks.services.deliveries import DeliveryFilter
from backend.webhooks.topics import BALANCE_CHANGED


@pytest.fixture
async def doorbell(embedded_redis):
    """This process's doorbell on the test's Redis, as the api process has."""
    pool = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(pool)
    yield pool
    outbox.set_doorbell(None)
    await pool.aclose()


async def balance_change_written_by_the_ledger(ring: bool) -> object:
    async with write_transaction():
        event_id = await outbox.add(BALANCE_CHANGED, balance_changed(available=777))
    if ring:
        await outbox.ring([event_id])
    return event_id


def all_succeeded(admin, expected: int):
    async def check() -> bool:
        page = await deliveries.list_deliveries(admin, DeliveryFilter(status="succeeded"))
        return page.total == expected

    return check


async def test_a_balance_change_reaches_the_receiver_after_a_failure_and_a_timeout(
    admin, receiver, subscribe, embedded_redis, doorbell
):
    server = receiver([SERVER_ERROR, stall(STALL_SECONDS)], then=OK)
    _, secret = await subscribe(server.url)
    event_id = await balance_change_written_by_the_ledger(ring=True)

    async with running_worker(embedded_redis.url, None, webhook_policy=QUICK):
        await eventually(all_succeeded(admin, 1), 20, "the webhook to be delivered")

    assert (await OutboxEvent.select(OutboxEvent.status).where(OutboxEvent.id == event_id).first())["status"] == outbox.DONE
    [delivery] = (await deliveries.list_deliveries(admin, DeliveryFilter(event_id=event_id))).rows
    attempts = await deliveries.list_attempts(admin, delivery.id)
    assert [(a.number, a.status_code, a.error) for a in attempts] == [
        (1, 500, "HTTP 500"),
        (2, None, "timed out after 0.5 s"),
        (3, 200, None),
    ]
    assert len(server.received) == 3
    for request in server.received:
        signing.verify(secret, request.headers, request.body)


async def test_work_nobody_rang_for_is_found_by_the_worker(admin, receiver, subscribe, embedded_redis):
    """Redis lost the doorbell (or there was none): an event never enqueued and a delivery never
    enqueued are both delivered once a worker runs."""
    server = receiver()
    await subscribe(server.url)
    await balance_change_written_by_the_ledger(ring=False)
    await fan_out()  # a delivery made with no doorbell to ring

    async with running_worker(embedded_redis.url, None, webhook_policy=QUICK):
        await eventually(all_succeeded(admin, 2), 20, "both webhooks to be delivered")

    assert len(server.received) == 2
