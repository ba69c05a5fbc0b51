"""Two worker processes on one queue, every event delivered twice under two job ids (as when Redis
lost a job's keys while it ran and the relay enqueued it again): each effect happens once."""

import signal

from outbox_probe import effects, worker_pids
from worker_harness import all_done, eventually, write_events

from backend.core import outbox

EVENTS = 40


async def test_two_workers_racing_over_redelivered_events_apply_each_once(probe, redis, worker_processes):
    workers = [worker_processes.start("left"), worker_processes.start("right")]
    for worker in workers:
        await worker.ready()

    event_ids = await write_events("probe.effect", EVENTS, {"pause": 0.01})
    for event_id in event_ids:  # a second delivery that arq cannot de-duplicate
        assert await redis.enqueue_job(outbox.JOB_NAME, str(event_id), _job_id=f"redelivered:{event_id}")

    await eventually(all_done(event_ids), 30, "every event to be processed")
    await eventually(lambda: _outbox_jobs_finished(redis), 10, "both deliveries of every event to run")

    assert await effects() == {str(event_id): 1 for event_id in event_ids}
    assert await worker_pids() == {worker.process.pid for worker in workers}  # both took part
    # Ctrl-C and a service manager's stop both end a worker cleanly.
    assert [workers[0].stop(signal.SIGINT), workers[1].stop(signal.SIGTERM)] == [0, 0]


async def _outbox_jobs_finished(redis) -> bool:
    return not await redis.keys("arq:job:outbox:*") and not await redis.keys("arq:job:redelivered:*")
