"""Delivery is at-least-once; the effect happens once. arq refuses a job id it still holds, and
process() claims the event with a conditional UPDATE, so a job that runs again changes nothing."""

import asyncio

from outbox_probe import PROBE_HANDLERS, effects
from worker_harness import all_done, arq_job_exists, eventually, running_worker, write_events

from backend.core import outbox
from backend.core.tables import OutboxEvent


async def test_the_same_event_enqueued_twice_is_queued_once(probe, redis):
    [event_id] = await write_events("probe.effect", 1)  # rung once
    await outbox.ring([event_id])  # and again, as a relay tick would
    assert await redis.enqueue_job(outbox.JOB_NAME, str(event_id), _job_id=outbox.job_id(event_id)) is None
    assert [job.job_id for job in await redis.queued_jobs()] == [outbox.job_id(event_id)]


async def test_a_job_delivered_again_after_it_ran_has_no_second_effect(probe, redis, embedded_redis):
    [event_id] = await write_events("probe.effect", 1)
    async with running_worker(embedded_redis.url, PROBE_HANDLERS):
        await eventually(all_done([event_id]), 10, "the event to be processed")
        await eventually(lambda: _gone(redis, event_id), 5, "arq to finish the job")

        # The worker keeps no result, so the same job id can be enqueued again (the relay relies on
        # that); this second delivery runs and finds the event done.
        assert await redis.enqueue_job(outbox.JOB_NAME, str(event_id), _job_id=outbox.job_id(event_id)) is not None
        await eventually(lambda: _gone(redis, event_id), 10, "the second delivery to run")

    assert await effects() == {str(event_id): 1}


async def test_concurrent_deliveries_of_one_event_apply_it_once(probe):
    [event_id] = await write_events("probe.effect", 1, {"pause": 0.2}, ring=False)  # the handler holds its transaction open

    results = await asyncio.gather(*(outbox.process(event_id, PROBE_HANDLERS) for _ in range(5)))

    assert sorted(results) == [outbox.DONE] + [outbox.SKIPPED] * 4
    assert await effects() == {str(event_id): 1}
    row = await OutboxEvent.select().where(OutboxEvent.id == event_id).first()
    assert row["status"] == outbox.DONE and row["attempts"] == 0 and row["processed_at"] is not None


async def _gone(redis, event_id) -> bool:
    return not await arq_job_exists(redis, event_id)
