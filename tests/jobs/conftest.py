"""Fixtures for the worker tests: a real Redis (embedded_redis), the real database (db), the probe
table and worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from arq.connections import RedisSettings, create_pool
from outbox_probe import create_probe_table
from worker_harness import WorkerProcess

from backend.core import outbox


@pytest.fixture
async def probe(db):
    await create_probe_table()
    return db


@pytest.fixture
async def redis(embedded_redis):
    """An arq pool on the embedded Redis, installed as this process's doorbell."""
    pool = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(pool)
    yield pool
    outbox.set_doorbell(None)
    await pool.aclose()


class WorkerProcesses:
    """Starts worker processes on one test's database and Redis; kills any left running."""

    def __init__(self, db_url: str, redis_url: str, directory: Path):
        self.db_url, self.redis_url, self.directory = db_url, redis_url, directory
        self.markers = directory / "markers"
        self.markers.mkdir()
        self.started: list[WorkerProcess] = []

    def start(self, name: str) -> WorkerProcess:
        process = WorkerProcess(name, self.db_url, self.redis_url, self.directory).start()
        self.started.append(process)
        return process

    def kill_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
            # pytest shows a teardown's output only when the test failed: the workers' side of the story.
            print(f"----- worker {worker.name} (exit {worker.process.returncode}) -----\n{worker.log()[-6000:]}")


@pytest.fixture
def worker_processes(probe, embedded_redis, tmp_path):
    processes = WorkerProcesses(probe.url, embedded_redis.url, tmp_path)
    yield processes
    processes.kill_all()
