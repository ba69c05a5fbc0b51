"""arq_batch.enqueue_many against arq's public API, on a real (embedded) Redis: what it enqueues
is what ``ArqRedis.enqueue_job`` would have, so an arq upgrade that changes arq's keys or job
format fails here rather than in the worker."""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus

from backend.core.arq_batch import enqueue_many


async def test_a_batch_is_enqueued_as_enqueue_job_would_and_refuses_ids_already_there(embedded_redis):
    pool = ArqRedis.from_url(embedded_redis.url)
    try:
        assert await pool.enqueue_job("process_outbox_event", "before", _job_id="outbox:before") is not None

        new = await enqueue_many(
            pool, "process_outbox_event", [("outbox:a", ("a",)), ("outbox:before", ("x",)), ("outbox:b", ("b",))]
        )

        assert new == 2  # outbox:before was queued already: refused, as enqueue_job refuses it
        for job_id, argument in (("outbox:a", "a"), ("outbox:b", "b")):
            job = Job(job_id, pool)
            assert await job.status() == JobStatus.queued
            info = await job.info()
            assert (info.function, info.args, info.kwargs) == ("process_outbox_event", (argument,), {})
            assert await pool.enqueue_job("process_outbox_event", argument, _job_id=job_id) is None  # arq sees it queued
        assert (await Job("outbox:before", pool).info()).args == ("before",)  # not overwritten
        assert await pool.zcard(pool.default_queue_name) == 3
        assert 0 < await pool.pttl("arq:job:outbox:a") <= pool.expires_extra_ms  # arq's expiry
        assert await enqueue_many(pool, "process_outbox_event", []) == 0
    finally:
        await pool.aclose()
