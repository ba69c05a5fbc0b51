"""A worker process killed with SIGKILL: its jobs run again on another worker (once arq's in-progress
key expires: the job timeout + 10 s), and each effect still happens exactly once — whether the
worker died mid-transaction or after its commit but before arq acknowledged the job. Stopped with
SIGTERM instead, a worker rolls its jobs back and hands them back at once."""

import signal

from outbox_probe import effects, marks
from worker_harness import WORKER_JOB_TIMEOUT_S, all_done, arq_job_exists, eventually, statuses, write_events

from backend.core import outbox

RERUN_WITHIN_S = WORKER_JOB_TIMEOUT_S + 10 + 10  # arq's in-progress key, then a margin for start-up and load


async def test_jobs_of_a_killed_worker_run_again_and_apply_their_effects_once(probe, redis, worker_processes):
    first = await worker_processes.start("first").ready()

    # Job 1 commits its effect, then its worker lingers before acknowledging it to arq.
    [committed] = await write_events("probe.linger", 1)
    await eventually(lambda: _marked(worker_processes, committed, "job-end"), 10, "job 1 to commit")
    # Job 2 stalls inside its transaction (started after job 1's commit: on SQLite it holds the write lock).
    [stalled] = await write_events("probe.slow", 1)
    await eventually(lambda: _marked(worker_processes, stalled, "started"), 10, "job 2 to start")

    first.kill()

    assert await statuses([committed, stalled]) == {committed: outbox.DONE, stalled: outbox.PENDING}
    assert await effects() == {str(committed): 1}  # job 2's transaction died with the worker
    for event_id in (committed, stalled):  # neither job was acknowledged: arq still holds both
        assert await arq_job_exists(redis, event_id)
        assert await redis.exists(f"arq:in-progress:{outbox.job_id(event_id)}")

    second = await worker_processes.start("second").ready()
    await eventually(all_done([stalled]), RERUN_WITHIN_S, "job 2 to run again")
    await eventually(lambda: _both_finished(redis, committed, stalled), 10, "arq to finish both jobs")

    assert marks(worker_processes.markers, stalled) == ["started", "started"]  # it ran again ...
    assert marks(worker_processes.markers, committed) == ["job-end", "job-end"]  # ... and so did job 1
    assert await effects() == {str(committed): 1, str(stalled): 1}  # yet each effect happened once

    assert second.stop(signal.SIGTERM) == 0
    assert "worker.stopped" in second.log()


async def test_a_worker_stopped_mid_job_rolls_it_back_and_hands_it_back_at_once(probe, redis, worker_processes):
    first = await worker_processes.start("first").ready()
    [stalled] = await write_events("probe.slow", 1)
    await eventually(lambda: _marked(worker_processes, stalled, "started"), 10, "the job to start")

    assert first.stop(signal.SIGTERM, timeout=10) == 0  # a service manager's stop, mid-transaction

    assert await statuses([stalled]) == {stalled: outbox.PENDING} and await effects() == {}
    assert not await redis.exists(f"arq:in-progress:{outbox.job_id(stalled)}")  # runnable now, not in 12 s

    await worker_processes.start("second").ready()
    await eventually(all_done([stalled]), 10, "the next worker to run the job")
    assert marks(worker_processes.markers, stalled) == ["started", "started"]
    assert await effects() == {str(stalled): 1}


async def _marked(worker_processes, event_id, what: str) -> bool:
    return what in marks(worker_processes.markers, event_id)


async def _both_finished(redis, *event_ids) -> bool:
    return not any([await arq_job_exists(redis, event_id) for event_id in event_ids])
