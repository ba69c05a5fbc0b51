"""Jobs cut off by a worker's stop are handed back to the queue at once, not after arq's
in-progress key expires."""

from __future__ import annotations

import asyncio
import functools
from contextlib import suppress
from typing import Any

from arq.connections import create_pool
from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from redis.exceptions import RedisError

INTERRUPTED = "interrupted_jobs"  # ctx key: ids of jobs a stop cancelled mid-run


def hands_back_when_cancelled(job):
    """Note the id of a job cancelled by a stop, so that :func:`hand_back` can clear its arq
    in-progress key. arq clears it itself, but in a shielded write that a shutdown can cut off; the
    job would then wait out the key's expiry (timeout + 10 s) before any worker ran it again."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        try:
            return await job(ctx, *args)
        except asyncio.CancelledError:
            ctx[INTERRUPTED].add(ctx["job_id"])  # the job's ctx is a copy of the worker's: the set is shared
            raise

    return run


async def hand_back(worker: Worker) -> None:
    """Make the jobs a stop interrupted runnable at once. Their transactions rolled back, and the
    outbox makes a second run harmless anyway; Redis being gone just leaves the keys to expire."""
    interrupted = worker.ctx.get(INTERRUPTED)
    if not interrupted:
        return
    with suppress(RedisError, OSError):
        redis = await create_pool(worker.redis_settings, retry=0)
        try:
            await redis.delete(*(in_progress_key_prefix + job_id for job_id in interrupted))
        finally:
            await redis.aclose()
    interrupted.clear()
