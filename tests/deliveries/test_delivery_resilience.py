"""Sending survives its machinery failing, with real worker processes (delivery_worker.py), a real
Redis and a loopback messaging provider that honours the idempotency key (the delivery id):

* a worker killed with SIGKILL while its sends are at the provider (the messages went out, the
  answers had not come back): another worker finds the expired claims, sends again with the same
  key, and the provider sends nothing twice;
* Redis stopped mid-run and started again empty, while rewards are issued: what was in Redis and
  what was rung while it was down come back from the database.

Either way every issued reward ends with exactly one delivery, sent (or flagged), none lost, and
the provider sent each message once."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

import pytest
from arq.connections import RedisSettings, create_pool
from delivery_steps import Programme, count, person
from messaging_provider import send_then_stall
from test_sending import messaging

from backend.core import outbox, sql

sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))  # the worker harness of tests/jobs, reused

from worker_harness import WORKER_JOB_TIMEOUT_S, WorkerProcess, eventually  # noqa: E402

DELIVERY_WORKER = Path(__file__).with_name("delivery_worker.py")
REWARDS = 12
# A killed worker's claims expire after the lease (4 s); its jobs re-run after arq's in-progress key
# (job timeout + 10 s); then a margin for a loaded machine.
SETTLED_WITHIN_S = WORKER_JOB_TIMEOUT_S + 10 + 30


@pytest.fixture
async def doorbell(embedded_redis):
    pool = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(pool)
    yield pool
    outbox.set_doorbell(None)
    await pool.aclose()


@pytest.fixture
def workers(db, embedded_redis, tmp_path):
    started: list[WorkerProcess] = []
    (tmp_path / "markers").mkdir()

    def start(name: str) -> WorkerProcess:
        worker = WorkerProcess(name, db.url, embedded_redis.url, tmp_path, script=DELIVERY_WORKER).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()
        print(f"----- worker {worker.name} (exit {worker.process.returncode}) -----\n{worker.log()[-6000:]}")


async def sms_shop(admin, provider) -> tuple[Programme, list]:
    shop = await Programme(admin).start()
    await messaging(admin, shop, provider, timeout=3.0)
    people = [await person(f"P-{n}", phone=f"+9198123{n:05d}", preferred_channel="sms") for n in range(REWARDS)]
    return shop, people


async def settled(expected: int):
    async def check() -> bool:
        return await count("SELECT COUNT(*) FROM deliveries WHERE status IN ('sent', 'failed')") == expected

    return check


async def assert_each_reward_delivered_once(provider, issued: list) -> None:
    rows = await sql.fetch("SELECT id, issuance_id, status FROM deliveries")
    assert sorted(row["issuance_id"] for row in rows) == sorted(issued)  # one delivery per reward, none lost
    assert {row["status"] for row in rows} == {"sent"}
    sent_to = Counter(form["To"] for form in provider.sent)
    assert len(provider.sent) == len(issued) and set(sent_to.values()) == {1}  # each message sent once
    keys = Counter(request.headers["idempotency-key"] for request in provider.requests)
    assert set(keys) == {str(row["id"]) for row in rows}  # the key is the delivery id, on every attempt


async def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    admin, embedded_redis, doorbell, messaging_provider, workers
):
    # The first 3 messages go out, but their answers are held until long after the worker is gone.
    provider = messaging_provider([send_then_stall(30)] * 3)
    shop, people = await sms_shop(admin, provider)
    first = await workers("first").ready()
    issued = [await shop.issue(who.id) for who in people]

    await eventually(lambda: _requests_at_least(provider, 3), 30, "three sends to reach the provider")
    first.kill()  # SIGKILL, with three sends waiting on their answers
    assert len(provider.sent) >= 3
    in_flight = await count("SELECT COUNT(*) FROM deliveries WHERE status = 'sending'")
    assert in_flight >= 3  # claimed, sent, never recorded

    await workers("second").ready()
    await eventually(await settled(REWARDS), SETTLED_WITHIN_S, "every delivery to be sent or flagged")

    await assert_each_reward_delivered_once(provider, issued)
    repeated = Counter(request.headers["idempotency-key"] for request in provider.requests)
    assert sum(1 for n in repeated.values() if n > 1) >= 3  # the killed worker's sends were made again ...
    abandoned = await count("SELECT COUNT(*) FROM delivery_attempts WHERE error_code = 'ABANDONED'")
    assert abandoned >= 3  # ... after recording the lost attempts as abandoned


async def test_redis_restarted_mid_run_loses_nothing_and_sends_nothing_twice(
    admin, embedded_redis, doorbell, messaging_provider, workers
):
    provider = messaging_provider()
    shop, people = await sms_shop(admin, provider)
    worker = await workers("steady").ready()
    issued = [await shop.issue(who.id) for who in people[: REWARDS // 2]]
    await eventually(lambda: _requests_at_least(provider, 1), 30, "the first send to reach the provider")

    embedded_redis.stop()  # mid-run: queued jobs, in-progress keys and the doorbell all go
    issued += [await shop.issue(who.id) for who in people[REWARDS // 2 :]]  # rung into the void
    await eventually(lambda: _logged(worker, "worker.redis_lost"), 20, "the worker to notice")
    embedded_redis.start()  # the same port, empty

    await eventually(await settled(REWARDS), SETTLED_WITHIN_S, "every delivery to be sent or flagged")
    assert worker.process.poll() is None  # one worker throughout: an outage is not a crash
    await assert_each_reward_delivered_once(provider, issued)
    await asyncio.sleep(2)  # a relay tick or two later, still nothing sent twice
    assert len(provider.sent) == REWARDS


async def _requests_at_least(provider, n: int) -> bool:
    return len(provider.requests) >= n


async def _logged(worker, text: str) -> bool:
    return text in worker.log()
