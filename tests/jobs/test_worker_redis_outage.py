"""Redis is a doorbell: when it is down or forgets its queue, the database still holds every event
and the relay brings each one back, to be processed exactly once."""

from datetime import timedelta

from outbox_probe import PROBE_HANDLERS, effects
from worker_harness import all_done, arq_job_exists, eventually, running_worker, write_events

from backend.core import outbox, sql
from backend.core.tables import OutboxEvent


async def test_events_written_while_redis_is_down_are_all_processed_once_it_is_back(probe, redis, embedded_redis):
    embedded_redis.stop()
    event_ids = await write_events("probe.effect", 20)  # each ring fails quietly

    rows = await OutboxEvent.select(OutboxEvent.status, OutboxEvent.enqueued_at).where(OutboxEvent.id.is_in(event_ids))
    assert len(rows) == 20 and all(row["status"] == outbox.PENDING and row["enqueued_at"] is None for row in rows)

    embedded_redis.start()  # same port, empty: nothing of the failed rings survived anywhere but the database
    assert await redis.zcard("arq:queue") == 0

    # Only the worker's relay (its cron runs at start-up) can find these events now.
    async with running_worker(embedded_redis.url, PROBE_HANDLERS):
        await eventually(all_done(event_ids), 20, "every event to be processed")

    assert await effects() == {str(event_id): 1 for event_id in event_ids}


async def test_relay_re_enqueues_events_whose_jobs_redis_lost_once_they_are_stale(probe, redis, embedded_redis):
    event_ids = await write_events("probe.effect", 5)  # rung: in Redis, stamped enqueued_at
    assert await redis.zcard("arq:queue") == 5
    await redis.flushall()  # Redis restarted without persistence after the hand-over

    # A fresh hand-over is trusted (a relay tick must not re-enqueue the whole live queue) ...
    assert await outbox.relay_pending(redis, stale_after=timedelta(hours=1)) == 0
    # ... until it is older than stale_after.
    assert await outbox.relay_pending(redis, stale_after=timedelta(0)) == 5
    # Jobs already queued are not duplicated by a later relay: arq refuses their ids.
    assert await outbox.relay_pending(redis, stale_after=timedelta(0)) == 0
    assert await redis.zcard("arq:queue") == 5

    async with running_worker(embedded_redis.url, PROBE_HANDLERS, settings_update={"outbox_stale_seconds": 3600}):
        await eventually(all_done(event_ids), 20, "every event to be processed")

    assert await effects() == {str(event_id): 1 for event_id in event_ids}


async def test_a_running_worker_waits_out_a_redis_outage_then_processes_what_was_written_meanwhile(
    probe, redis, embedded_redis, worker_processes
):
    worker = await worker_processes.start("steady").ready()
    embedded_redis.stop()
    event_ids = await write_events("probe.effect", 10)
    await eventually(lambda: _logged(worker, "worker.redis_lost"), 10, "the worker to notice")

    embedded_redis.start()
    await eventually(all_done(event_ids), 20, "every event to be processed")

    assert worker.process.poll() is None  # the same process throughout: an outage is not a crash
    assert await effects() == {str(event_id): 1 for event_id in event_ids}
    assert worker.stop() == 0


async def _logged(worker, text: str) -> bool:
    return text in worker.log()


async def _written_stamped(n: int):
    """An event as a one-statement use case writes it: committed on its own, stamped as handed over."""
    event_id, insert = outbox.event("probe.effect", {"n": n}, rung=True)
    await sql.run(insert)
    return event_id


async def _stamp_of(event_id):
    return (await OutboxEvent.select(OutboxEvent.enqueued_at).where(OutboxEvent.id == event_id).first())["enqueued_at"]


async def test_an_event_written_stamped_keeps_its_stamp_if_rung_and_loses_it_if_not(probe, redis, embedded_redis):
    embedded_redis.stop()
    lost = await _written_stamped(1)
    assert await _stamp_of(lost) is not None
    await outbox.ring([lost], stamped=True)  # fails quietly, and takes the stamp back
    assert await _stamp_of(lost) is None

    outbox.set_doorbell(None)  # a process without Redis takes the stamp back as well
    unrung = await _written_stamped(2)
    await outbox.ring([unrung], stamped=True)
    assert await _stamp_of(unrung) is None
    outbox.set_doorbell(redis)

    embedded_redis.start()
    handed = await _written_stamped(3)
    stamp = await _stamp_of(handed)
    await outbox.ring([handed], stamped=True)
    assert await arq_job_exists(redis, handed) and await _stamp_of(handed) == stamp  # no second UPDATE

    # The relay's next tick takes the two that were not handed over, not after stale_after, and
    # trusts the one that was.
    assert await outbox.relay_pending(redis, stale_after=timedelta(hours=1)) == 2
    assert await arq_job_exists(redis, lost) and await arq_job_exists(redis, unrung)
    async with running_worker(embedded_redis.url, PROBE_HANDLERS):
        await eventually(all_done([handed, lost, unrung]), 20, "every event to be processed")
    assert await effects() == {str(event_id): 1 for event_id in (handed, lost, unrung)}
