"""What the sending benchmarks share: the loopback receiver process, real `mirabelle worker`
processes (and an api) on one database and one embedded Redis, and a programme whose SMS go
through the http_messaging provider to that receiver."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from backend.core.redis_server import EmbeddedRedis, free_port

RECEIVER = Path(__file__).with_name("loopback_receiver.py")
WORKERS = 2
ACCOUNT_SID, AUTH_TOKEN = "ACbench", "bench-token"


def _cpu_of(pid: int) -> float | None:
    """CPU time (user + system) of one process so far (Linux /proc), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(processes) -> float:
    """CPU time (user + system) the running ``processes`` have used so far (Linux /proc)."""
    return sum(cpu or 0.0 for cpu in (_cpu_of(process.pid) for process in processes))


async def database_cpu(url: str) -> dict[int, float]:
    """CPU time so far of each PostgreSQL backend connected to ``url``'s database (the server runs
    on this host): two readings' :func:`cpu_between` is the database's work in between."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return {row["pid"]: cpu for row in rows if (cpu := _cpu_of(row["pid"])) is not None}


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """The backends' CPU from one :func:`database_cpu` reading to another (a backend that ended in
    between is not counted: take ``after`` while the workers still run)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def describe_lags(lags: list[float]) -> str:
    return (
        f"p50 {percentile(lags, 50):.2f} s, p99 {percentile(lags, 99):.2f} s, max {max(lags):.2f} s "
        f"(mean {statistics.fmean(lags):.2f} s, {len(lags):,} messages)"
    )


def lags_over_time(records: list[tuple[float, float]], window_s: float = 20.0) -> list[str]:
    """``(occurred, arrived)`` pairs, grouped by when they occurred: one line a window, so a lag
    that builds up during a run can be told from one paid at its start."""
    if not records:
        return []
    start = min(occurred for occurred, _ in records)
    windows: dict[int, list[float]] = {}
    for occurred, arrived in records:
        windows.setdefault(int((occurred - start) // window_s), []).append(arrived - occurred)
    return [
        f"{n * window_s:5.0f}–{(n + 1) * window_s:<5.0f} s: {len(lags):6,} events, lag p50 {percentile(lags, 50):6.2f} s, "
        f"max {max(lags):6.2f} s"
        for n, lags in sorted(windows.items())
    ]


class Receiver:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def _get(self, path: str) -> dict:
        with urllib.request.urlopen(self.base + path, timeout=30) as answer:
            return json.loads(answer.read())

    def stats(self) -> dict:
        return self._get("/stats")

    def records(self) -> dict:
        return self._get("/records")

    @property
    def messaging_url(self) -> str:
        return f"{self.base}/2010-04-01"

    @property
    def webhook_url(self) -> str:
        return f"{self.base}/webhooks"

    def wait_for(self, what: str, count: int, timeout: float, every: float = 0.5) -> float:
        """Wait until the receiver holds ``count`` of ``what`` (sent, webhooks); returns the time it took."""
        started = time.monotonic()
        while (have := self.stats()[what]) < count:
            if time.monotonic() - started > timeout:
                raise AssertionError(f"the receiver has {have:,} of {count:,} {what} after {timeout:.0f} s")
            time.sleep(every)
        return time.monotonic() - started


@contextlib.contextmanager
def running_receiver(tmp_path):
    port = free_port()
    log = (tmp_path / "receiver.log").open("ab")
    process = subprocess.Popen([sys.executable, str(RECEIVER), str(port)], stdout=log, stderr=subprocess.STDOUT)
    receiver = Receiver(port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                receiver.stats()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "the loopback receiver did not start"
                time.sleep(0.1)
        yield receiver
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def embedded_redis(tmp_path):
    with EmbeddedRedis(tmp_path / "redis") as redis:
        yield redis.url


def _env(database_url: str, redis_url: str, tmp_path, **extra: str) -> dict:
    return {
        **os.environ,
        "MIRABELLE_DATABASE_URL": database_url,
        "MIRABELLE_REDIS_URL": redis_url,
        "MIRABELLE_LOG_LEVEL": "WARNING",
        "MIRABELLE_VAR_DIR": str(tmp_path),
        "MIRABELLE_OUTBOX_RELAY_SECONDS": "1",
        **extra,
    }


@contextlib.contextmanager
def running_workers(database_url: str, redis_url: str, tmp_path, count: int = WORKERS):
    """``count`` `mirabelle worker` processes, each logging to a file of its own."""
    processes, logs = [], []
    try:
        for n in range(count):
            logs.append((tmp_path / f"worker-{n}.log").open("ab"))
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "backend.cli", "worker"],
                    env=_env(database_url, redis_url, tmp_path),
                    stdout=logs[-1],
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


@contextlib.contextmanager
def running_api(database_url: str, redis_url: str, tmp_path, workers: int = 2):
    """Yields the /graphql URL of a `mirabelle api` with ``workers`` processes."""
    port = free_port()
    log = (tmp_path / "api.log").open("ab")
    env = _env(database_url, redis_url, tmp_path, MIRABELLE_API_PORT=str(port), MIRABELLE_API_WORKERS=str(workers))
    api = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "api"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "api did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        api.terminate()
        api.wait(timeout=15)
        log.close()


async def sms_programme(receiver: Receiver, name: str = "Bench"):
    """A programme whose SMS go to the receiver through the http_messaging provider, and an active
    points campaign in it; the caller's engine and pool are in use."""
    from backend.campaigns.services import campaigns
    from backend.campaigns.services.campaigns import CampaignInput
    from backend.core.authz import SYSTEM
    from backend.core.clock import utcnow
    from backend.deliveries.services.providers import ProviderInput, set_provider
    from backend.recipients import services as recipients

    programme = await recipients.create_programme(SYSTEM, name, "INR", "0.25")
    await set_provider(
        SYSTEM,
        ProviderInput(
            programme_id=programme.id,
            channel="sms",
            role="primary",
            kind="http_messaging",
            settings={"base_url": receiver.messaging_url, "account_sid": ACCOUNT_SID, "from_number": "+14155550100"},
            secret=AUTH_TOKEN,
        ),
    )
    from datetime import timedelta

    campaign = await campaigns.create_campaign(
        SYSTEM,
        CampaignInput(
            programme_id=programme.id,
            name=f"{name} campaign",
            reward_type="points",
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=30),
            default_channel="sms",
        ),
    )
    campaign = await campaigns.activate_campaign(SYSTEM, campaign.id)
    return programme, campaign


def phone(n: int) -> str:
    return f"+9198{n:08d}"


async def steady_requests(url: str, key: str, body_of, rate: float, seconds: float, concurrency: int = 64) -> dict:
    """POST ``body_of(n)`` (a GraphQL request) ``rate`` times a second for ``seconds``, open loop (a
    request starts on the clock, not when the previous one answers), at most ``concurrency`` in
    flight: a tick with none free waits for one and goes late (counted as ``behind``, the worst delay
    as ``most_behind_s``), and the ticks after it catch up with the clock, as callers whose requests
    queued would. Returns each request's start and end (unix s) and answer, and the rate achieved
    over the whole run."""
    import asyncio

    import httpx

    started_at: dict[int, float] = {}
    answered_at: dict[int, float] = {}
    answers: dict[int, dict] = {}
    free = asyncio.Semaphore(concurrency)
    behind, most_behind = 0, 0.0
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client:

        async def one(n: int) -> None:
            try:
                started_at[n] = time.time()
                response = await client.post(url, json=body_of(n))
                answered_at[n] = time.time()
                answers[n] = response.json()
            finally:
                free.release()

        tasks = []
        begin = time.monotonic()
        for n in range(int(rate * seconds)):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if free.locked():
                behind += 1
            await free.acquire()
            most_behind = max(most_behind, time.monotonic() - (begin + n / rate))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - begin
    return {
        "started_at": started_at,
        "answered_at": answered_at,
        "answers": answers,
        "behind": behind,
        "most_behind_s": most_behind,
        "rate": len(answers) / elapsed,
    }
