"""Redis is a doorbell: when it is down or forgets its queue, the database still holds every event
and the relay brings each one back, to be processed exactly once."""

from datetime import timedelta

from outbox_probe import PROBE_HANDLERS, effects
from worker_harness import all_done, eventually, running_worker, write_events

from backend.core import outbox
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
    # ... until it is older than stale_after: then one job for the five (outbox.EVENTS_PER_JOB a job at most).
    assert await outbox.relay_pending(redis, stale_after=timedelta(0)) == 1
    # Jobs already queued are not duplicated by a later relay: arq refuses their ids.
    assert await outbox.relay_pending(redis, stale_after=timedelta(0)) == 0
    assert [job.job_id for job in await redis.queued_jobs()] == [outbox.batch_job_id(event_ids)]

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
