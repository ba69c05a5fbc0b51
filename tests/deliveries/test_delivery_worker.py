"""The whole chain on the real worker and a real (embedded) Redis: a reward issued as the api
issues it arrives in the sandbox through the reward.issued handler, the send job and the sandbox
provider, once; and a reward whose event nobody rang for is found by the worker too."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from arq.connections import RedisSettings, create_pool
from delivery_steps import Programme, count, person

from backend.core import outbox, sql

sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))  # the worker harness of tests/jobs, reused

from worker_harness import eventually, running_worker  # noqa: E402


@pytest.fixture
async def doorbell(embedded_redis):
    pool = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(pool)
    yield pool
    outbox.set_doorbell(None)
    await pool.aclose()


async def test_issued_rewards_arrive_in_the_sandbox_once(admin, embedded_redis, doorbell):
    shop = await Programme(admin).start()
    asha = await person("E-1", name="Asha Rao", email="asha@example.com")
    sam = await person("S-1", name="Sam", phone="+919812345678", preferred_channel="sms")
    rung = await shop.issue(asha.id)  # the api rings its event after commit
    outbox.set_doorbell(None)
    unrung = await shop.issue(sam.id)  # Redis lost the doorbell: the relay finds it
    outbox.set_doorbell(doorbell)

    async def both_sent() -> bool:
        return await count("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'") == 2

    async def events_done() -> bool:  # the events written by handlers wait for the relay
        return await count("SELECT COUNT(*) FROM outbox_events WHERE status <> 'done'") == 0

    async with running_worker(embedded_redis.url, None, settings_update={"outbox_relay_seconds": 1}):
        await eventually(both_sent, 30, "both rewards to be delivered")
        await eventually(events_done, 30, "every event to be handled")
    assert (
        await count("SELECT COUNT(*) FROM sandbox_messages") == 2 and await count("SELECT COUNT(*) FROM delivery_attempts") == 2
    )
    rows = await sql.fetch("SELECT issuance_id, channel, contact, provider FROM deliveries ORDER BY channel")
    assert [(r["issuance_id"], r["channel"], r["contact"], r["provider"]) for r in rows] == [
        (rung, "email", "asha@example.com", "sandbox"),
        (unrung, "sms", "+919812345678", "sandbox"),
    ]
    # Every reward.issued event was handled, none parked; the sends needed no event of their own
    # (the worker's sender claims due deliveries from the table).
    statuses = await sql.fetch("SELECT topic, status FROM outbox_events WHERE topic IN ('reward.issued', 'delivery.due')")
    assert sorted((r["topic"], r["status"]) for r in statuses) == [("reward.issued", "done")] * 2


async def test_a_reward_whose_event_was_parked_is_backfilled_and_sent_by_the_worker(admin, embedded_redis):
    """Before this domain every reward.issued event was parked as failed: the backfill (as the CLI
    runs it, with no doorbell) makes the delivery, and the worker's sender finds it due in the table
    (no event, no ring) and sends it, once."""
    from backend.deliveries.services import creation

    shop = await Programme(admin).start()
    outbox.set_doorbell(None)
    issuance_id = await shop.issue((await person("E-1", email="asha@example.com")).id)
    await sql.fetch("UPDATE outbox_events SET status = 'failed', attempts = 8 WHERE topic = 'reward.issued'")
    assert (await creation.backfill(admin)).created == 1

    async def sent() -> bool:
        return await count("SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND issuance_id = $1", issuance_id) == 1

    async with running_worker(embedded_redis.url, None, settings_update={"outbox_relay_seconds": 1}):
        await eventually(sent, 30, "the backfilled delivery to be sent")
    assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = 'delivery.due'") == 0
    assert await count("SELECT COUNT(*) FROM sandbox_messages") == 1
