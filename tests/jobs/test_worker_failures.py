"""A failing handler: its transaction rolls back (no half-applied effect, the event stays pending),
the attempt and its error are recorded, arq retries the same job with a growing, jittered delay,
and after max_attempts the event is parked as failed."""

import asyncio
import time
from datetime import timedelta

import pytest
from outbox_probe import PROBE_HANDLERS, effects, record_effect
from worker_harness import arq_job_exists, eventually, running_worker, write_events

from backend.core import outbox
from backend.core.tables import OutboxEvent
from jobs.worker import Backoff

BACKOFF = Backoff(base_seconds=0.1, cap_seconds=0.4)
NEVER_STALE = {"outbox_stale_seconds": 3600}  # retries here come from arq's Retry, not from the relay


class FlakyProvider:
    """A handler that applies its effect, then fails (inside the transaction) its first ``failures`` calls."""

    def __init__(self, failures: int):
        self.failures, self.calls = failures, []

    async def __call__(self, event: outbox.Event) -> None:
        self.calls.append(time.monotonic())
        await record_effect(event)
        if len(self.calls) <= self.failures:
            raise RuntimeError(f"provider down (call {len(self.calls)})")


async def _event(event_id) -> dict:
    return await OutboxEvent.select().where(OutboxEvent.id == event_id).first()


def _status_is(event_id, status):
    async def check() -> bool:
        return (await _event(event_id))["status"] == status

    return check


async def test_a_handler_that_keeps_failing_is_retried_with_backoff_then_parked_as_failed(probe, redis, embedded_redis):
    handler = FlakyProvider(failures=99)
    [event_id] = await write_events("probe.flaky", 1)

    async with running_worker(
        embedded_redis.url, {"probe.flaky": handler}, settings_update=NEVER_STALE, backoff=BACKOFF, max_attempts=4
    ):
        await eventually(_status_is(event_id, outbox.FAILED), 15, "the event to be parked as failed")
        await eventually(lambda: _not(arq_job_exists(redis, event_id)), 5, "arq to drop the job")

    event = await _event(event_id)
    assert (event["attempts"], event["last_error"]) == (4, "RuntimeError: provider down (call 4)")
    assert event["processed_at"] is None
    assert len(handler.calls) == 4  # parked: no fifth run
    assert await effects() == {}  # every attempt's effect rolled back with it
    gaps = [later - earlier for earlier, later in zip(handler.calls, handler.calls[1:])]
    for attempts, gap in enumerate(gaps, start=1):
        assert gap >= BACKOFF.ceiling(attempts) / 2 - 0.01, (attempts, gaps)  # at least the jitter's floor


async def test_a_handler_that_recovers_applies_its_effect_once(probe, redis, embedded_redis):
    handler = FlakyProvider(failures=2)
    [event_id] = await write_events("probe.flaky", 1)

    async with running_worker(
        embedded_redis.url, {"probe.flaky": handler}, settings_update=NEVER_STALE, backoff=BACKOFF, max_attempts=4
    ):
        await eventually(_status_is(event_id, outbox.DONE), 15, "the event to be processed")

    event = await _event(event_id)
    assert (event["attempts"], event["last_error"]) == (2, "RuntimeError: provider down (call 2)")
    assert len(handler.calls) == 3
    assert await effects() == {str(event_id): 1}


async def test_a_handler_that_overruns_its_time_limit_is_rolled_back_and_retried(probe, redis, embedded_redis):
    calls = []

    async def stalls_once(event: outbox.Event) -> None:
        calls.append(event.attempts)
        await record_effect(event)
        if len(calls) == 1:
            await asyncio.sleep(30)  # past the handler's limit (0.8 × the 5 s job timeout)

    [event_id] = await write_events("probe.stall", 1)
    async with running_worker(
        embedded_redis.url,
        {"probe.stall": stalls_once},
        # 5 s, not less: the handler's own limit must fire before arq's, and the second leaves room for
        # the claim's transaction on a loaded machine (with 1 s, CI's load let arq cancel the job first).
        settings_update={**NEVER_STALE, "job_timeout_seconds": 5},
        backoff=BACKOFF,
    ):
        await eventually(_status_is(event_id, outbox.DONE), 30, "the event to be processed")

    event = await _event(event_id)
    assert (event["attempts"], event["last_error"]) == (1, "timed out after 4s")
    assert calls == [0, 1]
    assert await effects() == {str(event_id): 1}


async def test_a_job_arq_gave_up_on_is_brought_back_by_the_relay(probe, redis, embedded_redis):
    [event_id] = await write_events("probe.effect", 1)
    await redis.set(f"arq:retry:{outbox.job_id(event_id)}", 100)  # as if killed workers had used up arq's tries

    async with running_worker(embedded_redis.url, PROBE_HANDLERS, settings_update=NEVER_STALE):
        await eventually(lambda: _not(arq_job_exists(redis, event_id)), 10, "arq to give up on the job")
        assert (await _event(event_id))["status"] == outbox.PENDING  # arq never called process()

        # arq kept no result for the job it failed, so the relay may enqueue it again.
        assert await outbox.relay_pending(redis, stale_after=timedelta(0)) == 1
        await eventually(_status_is(event_id, outbox.DONE), 10, "the event to be processed")

    assert await effects() == {str(event_id): 1}


async def test_an_event_without_a_handler_is_retried_not_dropped(probe):
    [event_id] = await write_events("probe.unknown", 1, ring=False)

    with pytest.raises(outbox.RetryLater):
        await outbox.process(event_id, {"probe.other": record_effect})

    event = await _event(event_id)
    assert event["status"] == outbox.PENDING
    assert (event["attempts"], event["last_error"]) == (1, "NoHandler: no handler for topic 'probe.unknown' in this worker")


async def _not(awaitable) -> bool:
    return not await awaitable
