"""Enqueue many arq jobs in one round trip: arq's ``ArqRedis.enqueue_job`` rule, for a batch.

arq's public ``enqueue_job(name, *args, _job_id=…)`` spends three round trips per job (WATCH,
EXISTS, MULTI/EXEC, on a connection of its own). The outbox rings every event of a round of
requests at once, and its requests wait for their ring. Measured on our 2-core machine
(2026-12-07, Redis 7 on loopback, 3,000 events, rounds of B events; the machine was shared and
loaded, so the two ways ran alternately, twice each):

| B   | one script (this module)        | enqueue_job, B at once (asyncio.gather) |
| --- | ------------------------------- | --------------------------------------- |
| 1   | 305–322 events/s, p50 0.8–0.9 ms | 201–205 events/s, p50 1.7–2.1 ms        |
| 16  | 3,643–8,063 events/s, p50 0.9–2.1 ms | 425–554 events/s, p50 20–28 ms      |
| 64  | 10,846–29,402 events/s, p50 1.1–5.2 ms | 562–847 events/s, p50 74–116 ms   |
| 500 | 20,805–22,328 events/s, p50 23–25 ms | 818–1,124 events/s, p50 362–644 ms  |

A round's time is added to each of its requests: at 16 and 64 connections (DESIGN.md's issuance
targets: p99 < 100 ms and < 150 ms) the public call would spend most of that budget ringing, so
this adapter keeps arq's rule in one Lua script instead: a job id is refused while its job key or
its result key exists; otherwise the job is written (arq's own ``serialize_job``, with the pool's
serializer) with arq's expiry and scored on the queue at its enqueue time. It reads arq's key
prefixes and serializer: tests/core/test_arq_batch.py checks it against arq's public API (a job
it wrote is refused by ``enqueue_job`` and read back by ``Job.info``), so an arq upgrade that
changes them fails there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms

# KEYS: the queue, then each job's job key and result key; ARGV: the key expiry (ms), the score
# (enqueue time, ms), then each job's id and serialized job.
_SCRIPT = """
local new = 0
for i = 1, (#KEYS - 1) / 2 do
  local job_key, result_key = KEYS[2 * i], KEYS[2 * i + 1]
  if redis.call('exists', job_key, result_key) == 0 then
    redis.call('psetex', job_key, ARGV[1], ARGV[2 + 2 * i])
    redis.call('zadd', KEYS[1], ARGV[2], ARGV[1 + 2 * i])
    new = new + 1
  end
end
return new
"""


async def enqueue_many(redis_pool: Any, function: str, jobs: Sequence[tuple[str, tuple]]) -> int:
    """Enqueue ``function`` once per (job id, args) on the pool's default queue, as
    ``redis_pool.enqueue_job(function, *args, _job_id=job_id)`` would each; returns how many were new."""
    if not jobs:
        return 0
    enqueued_ms = timestamp_ms()
    keys, args = [redis_pool.default_queue_name], [redis_pool.expires_extra_ms, enqueued_ms]
    for job_id, job_args in jobs:
        keys += [job_key_prefix + job_id, result_key_prefix + job_id]
        args += [job_id, serialize_job(function, job_args, {}, None, enqueued_ms, serializer=redis_pool.job_serializer)]
    return int(await redis_pool.register_script(_SCRIPT)(keys=keys, args=args))
