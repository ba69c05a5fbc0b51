"""Events rung together go to one job: one claim and one transaction for them all, a batched
handler taking its topic's events at once. A batch that fails keeps nothing and counts no attempt:
each event goes to a job of its own, where the bad one fails alone and the others are done once."""

from datetime import timedelta

from outbox_probe import effects, record_effect
from worker_harness import eventually, running_worker

from backend.core import outbox
from backend.core.db import write_transaction
from backend.core.tables import OutboxEvent
from jobs.worker import Backoff

NEVER_STALE = {"outbox_stale_seconds": 3600}


class BatchProbe:
    """A batched handler: records each event's effect and the size of every call; fails, at its
    first ``failures`` calls that include an event marked ``bad``."""

    def __init__(self, failures: int = 0):
        self.failures, self.sizes, self.failed = failures, [], 0

    async def __call__(self, events: list[outbox.Event]) -> None:
        self.sizes.append(len(events))
        for event in events:
            await record_effect(event)
        if any(event.payload.get("bad") for event in events) and self.failed < self.failures:
            self.failed += 1
            raise RuntimeError("a bad event")


async def _write(topic: str, count: int, payload=lambda n: {}) -> list:
    """Events written in one transaction (as an upload's chunk writes them), rung once after commit."""
    async with write_transaction():
        event_ids = [await outbox.add(topic, {"n": n, **payload(n)}) for n in range(count)]
    return event_ids


async def _rows(event_ids) -> dict:
    rows = await OutboxEvent.select().where(OutboxEvent.id.is_in(list(event_ids)))
    return {row["id"]: row for row in rows}


async def test_events_rung_together_are_claimed_and_handled_in_one_job(probe, redis, embedded_redis):
    batch, plain = BatchProbe(), []

    async def one_by_one(event: outbox.Event) -> None:
        plain.append(event.id)
        await record_effect(event)

    batched_ids = await _write("probe.batch", 30)
    plain_ids = await _write("probe.plain", 3)
    await outbox.ring([*batched_ids, *plain_ids])
    assert [job.job_id for job in await redis.queued_jobs()] == [outbox.batch_job_id([*batched_ids, *plain_ids])]

    handlers = {"probe.batch": outbox.batched(batch), "probe.plain": one_by_one}
    async with running_worker(embedded_redis.url, handlers, settings_update=NEVER_STALE):
        await eventually(lambda: _all(batched_ids + plain_ids, outbox.DONE), 15, "the events to be processed")

    assert batch.sizes == [30]  # one call for the topic's events
    assert plain == plain_ids  # a plain handler still gets one event a call, in order
    assert await effects() == {str(event_id): 1 for event_id in batched_ids + plain_ids}


async def test_a_failing_batch_hands_each_event_to_a_job_of_its_own(probe, redis, embedded_redis):
    batch = BatchProbe(failures=99)  # the bad event fails every time
    event_ids = await _write("probe.batch", 10, lambda n: {"bad": n == 4})
    await outbox.ring(event_ids)

    async with running_worker(
        embedded_redis.url,
        {"probe.batch": outbox.batched(batch)},
        settings_update=NEVER_STALE,
        backoff=Backoff(base_seconds=0.05, cap_seconds=0.1),
        max_attempts=3,
    ):
        await eventually(lambda: _settled(event_ids), 15, "every event to be done or parked")

    rows = await _rows(event_ids)
    bad = event_ids[4]
    assert (rows[bad]["status"], rows[bad]["attempts"], rows[bad]["last_error"]) == (
        outbox.FAILED,
        3,
        "RuntimeError: a bad event",
    )
    good = [event_id for event_id in event_ids if event_id != bad]
    assert all((rows[event_id]["status"], rows[event_id]["attempts"]) == (outbox.DONE, 0) for event_id in good)
    assert await effects() == {str(event_id): 1 for event_id in good}  # the failed batch kept nothing
    assert batch.sizes == [10] + [1] * 12  # the batch, then one job each: 9 good ones, the bad one 3 times


async def test_a_batch_of_events_already_done_skips_them_and_one_without_a_handler_is_handed_over(probe):
    batch = BatchProbe()
    done_ids = await _write("probe.batch", 3)
    assert await outbox.process_batch(done_ids, {"probe.batch": outbox.batched(batch)}) == outbox.Processed(3, 0, [])
    assert await outbox.process_batch(done_ids, {"probe.batch": outbox.batched(batch)}) == outbox.Processed(0, 3, [])

    mixed = [*await _write("probe.batch", 2), *await _write("probe.unknown", 1)]
    assert await outbox.process_batch(mixed, {"probe.batch": outbox.batched(batch)}) == outbox.Processed(0, 0, mixed)
    rows = await _rows(mixed)
    assert all((row["status"], row["attempts"]) == (outbox.PENDING, 0) for row in rows.values())  # nothing counted
    assert batch.sizes == [3, 2]


async def test_one_event_of_a_batched_topic_is_a_batch_of_one(probe):
    batch = BatchProbe()
    [event_id] = await _write("probe.batch", 1)
    assert await outbox.process(event_id, {"probe.batch": outbox.batched(batch)}) == outbox.DONE
    assert await outbox.process(event_id, {"probe.batch": outbox.batched(batch)}) == outbox.SKIPPED
    assert batch.sizes == [1] and await effects() == {str(event_id): 1}


async def test_the_relay_gives_an_event_that_failed_before_a_job_of_its_own(probe, redis):
    fresh = await _write("probe.batch", 3)
    [retried] = await _write("probe.batch", 1)
    await OutboxEvent.update({OutboxEvent.attempts: 2}).where(OutboxEvent.id == retried)
    await redis.enqueue_job(outbox.JOB_NAME, str(retried), _job_id=outbox.job_id(retried), _defer_by=60)  # its retry, waiting

    assert await outbox.relay_pending(redis, stale_after=timedelta(0)) == 1  # the fresh ones' job; the retry's copy refused
    queued = {job.job_id: job.args for job in await redis.queued_jobs()}
    assert queued == {outbox.batch_job_id(fresh): tuple(map(str, fresh)), outbox.job_id(retried): (str(retried),)}


async def _all(event_ids, status) -> bool:
    return {row["status"] for row in (await _rows(event_ids)).values()} == {status}


async def _settled(event_ids) -> bool:
    return outbox.PENDING not in {row["status"] for row in (await _rows(event_ids)).values()}
