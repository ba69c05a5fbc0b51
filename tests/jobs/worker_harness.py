"""The worker tests' harness: waiting with a deadline, writing events as a service does, and
running the production worker in this process or as a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from arq.connections import ArqRedis
from arq.worker import Worker
from outbox_probe import MARKERS_ENV

from backend.core import outbox
from backend.core.db import write_transaction
from backend.core.settings import get_settings
from backend.core.tables import OutboxEvent
from jobs.worker import build_worker_settings, wind_down

PROBE_WORKER = Path(__file__).with_name("outbox_probe_worker.py")
WORKER_JOB_TIMEOUT_S = 5  # a killed worker's job re-runs after this + 10 s (arq's in-progress key): room for a loaded machine (2 s failed once under 3 xdist workers at load 13)


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


async def write_events(topic: str, count: int, payload: dict | None = None, ring: bool = True) -> list:
    """Each event in its own write transaction, rung after commit, as a service does."""
    event_ids = []
    for n in range(count):
        async with write_transaction():
            event_id = await outbox.add(topic, {"n": n, **(payload or {})})
        if ring:
            await outbox.ring([event_id])
        event_ids.append(event_id)
    return event_ids


async def statuses(event_ids) -> dict:
    rows = await OutboxEvent.select(OutboxEvent.id, OutboxEvent.status).where(OutboxEvent.id.is_in(list(event_ids)))
    return {row["id"]: row["status"] for row in rows}


def all_done(event_ids) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return set((await statuses(event_ids)).values()) == {outbox.DONE}

    return check


async def arq_job_exists(redis: ArqRedis, event_id) -> bool:
    return bool(await redis.exists(f"arq:job:{outbox.job_id(event_id)}"))


@asynccontextmanager
async def running_worker(redis_url: str, handlers, *, settings_update: dict | None = None, **worker_options):
    """The production worker settings, run on this test's event loop until the block ends."""
    settings = get_settings().model_copy(update={"redis_url": redis_url, **(settings_update or {})})
    options = {"handle_signals": False, "poll_delay": 0.02, **worker_options}
    worker = Worker(**build_worker_settings(handlers, settings=settings, **options))
    run = asyncio.create_task(worker.async_run())
    try:
        yield worker
    finally:
        # Without its own signal handlers, arq's close() cancels the running jobs and may pass
        # their cancellation on; a job cut short is simply left to arq to run again.
        try:
            with suppress(asyncio.CancelledError):
                await worker.close()
        finally:
            await wind_down(worker)  # close() returns at the first cancelled job, not the last
        with suppress(asyncio.CancelledError):
            await run  # re-raises whatever crashed the worker


class WorkerProcess:
    """``python tests/jobs/outbox_probe_worker.py`` (or ``script``): a real worker process, with its log in a file."""

    def __init__(self, name: str, db_url: str, redis_url: str, directory: Path, script: Path = PROBE_WORKER):
        self.name, self.log_path, self.script = name, directory / f"{name}.log", script
        self.env = {
            **os.environ,
            "MIRABELLE_DATABASE_URL": db_url,
            "MIRABELLE_REDIS_URL": redis_url,
            "MIRABELLE_JOB_TIMEOUT_SECONDS": str(WORKER_JOB_TIMEOUT_S),
            "MIRABELLE_OUTBOX_RELAY_SECONDS": "1",
            "MIRABELLE_OUTBOX_STALE_SECONDS": "2",
            MARKERS_ENV: str(directory / "markers"),
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(self.script)], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def ready(self, timeout: float = 20.0) -> WorkerProcess:
        async def started() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            return "worker.ready" in self.log()

        await eventually(started, timeout, f"worker {self.name} to be ready")
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as when the machine or the OOM killer takes the process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"worker {self.name} ignored {signal.Signals(signum).name}:\n{self.log()[-3000:]}") from None
        return self.process.returncode
