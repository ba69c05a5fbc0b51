"""The worker's log at INFO says what it did and what went wrong, not that its cron woke up: the
crons (outbox relay, webhook and upload resumption, expiry sweep) tick every few seconds, and an
idle worker logged each tick twice."""

import asyncio

from worker_harness import WorkerProcess, all_done, eventually, write_events

TICKS_S = 3.5  # the test workers relay every second: three ticks of every cron and more


def _lines(log: str, *words: str) -> list[str]:
    return [line for line in log.splitlines() if all(word in line for word in words)]


def _ticks(log: str) -> list[str]:
    """arq's lines for the start (→) and the end (←) of a cron's run."""
    return _lines(log, "→ cron:") + _lines(log, "← cron:")


async def test_an_idle_worker_logs_no_ticks_at_info_but_logs_the_work_it_does(probe, redis, worker_processes):
    worker = await worker_processes.start("info").ready()
    await asyncio.sleep(TICKS_S)
    idle = worker.log()
    assert _ticks(idle) == [], "\n".join(_ticks(idle))
    assert len(idle.splitlines()) < 15, idle  # start-up lines only

    [event_id] = await write_events("probe.effect", 1)
    await eventually(all_done([event_id]), 10, "the event's job")
    assert worker.stop() == 0
    log = worker.log()
    assert _lines(log, "INFO", f"outbox:{event_id}")  # the job that did something is on the record
    assert _ticks(log) == [], "\n".join(_ticks(log))


async def test_the_ticks_are_still_there_at_debug(probe, redis, worker_processes):
    worker = WorkerProcess("debug", probe.url, worker_processes.redis_url, worker_processes.directory)
    worker.env["MIRABELLE_LOG_LEVEL"] = "DEBUG"
    worker_processes.started.append(worker.start())
    await worker.ready()
    await asyncio.sleep(TICKS_S)
    assert worker.stop() == 0
    ticks = [line for line in _ticks(worker.log()) if "cron:relay_outbox" in line]
    assert len(ticks) >= 4 and all("DEBUG" in line for line in ticks), "\n".join(ticks)
