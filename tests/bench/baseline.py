"""The raw database's own limit, measured in the same run: pgbench's built-in TPC-B-like script.

DESIGN.md "Benchmark hygiene": autovacuum is off on this server, so every figure starts from a
fresh database, VACUUM ANALYZE after loading, and the median of three runs. The figures with
targets are each paired with a TPC-B run just before them (``TpcB``), and their ratio is the
median of the three pairs' ratios.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import statistics
import subprocess
import time
import uuid

import asyncpg


def database_url(server_url: str, name: str) -> str:
    return f"{server_url.rpartition('/')[0]}/{name}"


@contextlib.asynccontextmanager
async def fresh_database(server_url: str, prefix: str):
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def vacuum_analyze(url: str) -> None:
    connection = await asyncpg.connect(url)
    await connection.execute("VACUUM ANALYZE")
    await connection.close()


def pgbench(*args: str) -> str:
    return subprocess.run(["pgbench", *args], check=True, capture_output=True, text=True).stdout


def tps_of(output: str) -> float:
    """The transactions per second a pgbench run reports."""
    return float(re.search(r"tps = ([\d.]+)", output).group(1))


class TpcB:
    """pgbench's TPC-B-like database, kept through a benchmark so that every measurement can be
    paired with a TPC-B run just before it: this host's speed drifts by a third within minutes
    (measured: 1,460 and 2,152 tps five minutes apart), so a ratio to one baseline taken at the
    start says more about the drift than about the workload."""

    def __init__(self, url: str, clients: int, seconds: int) -> None:
        self.url, self.clients, self.seconds = url, clients, seconds

    def tps(self) -> float:
        """One run; ``-v`` vacuums the four tables first, so every run starts from the same state."""
        return tps_of(pgbench("-v", "-c", str(self.clients), "-j", "2", "-T", str(self.seconds), self.url))


@contextlib.asynccontextmanager
async def tpcb_database(server_url: str, clients: int = 8, seconds: int = 10):
    if shutil.which("pgbench") is None:
        raise RuntimeError("pgbench is not installed (Debian: postgresql-client)")
    async with fresh_database(server_url, "mirabelle_pgbench") as url:
        pgbench("-i", "-s", "10", "-q", url)
        await vacuum_analyze(url)
        yield TpcB(url, clients, seconds)


async def pgbench_tps(server_url: str, clients: int = 8, seconds: int = 10, repeats: int = 3) -> float:
    """Median TPC-B-like transactions per second with ``clients`` connections."""
    async with tpcb_database(server_url, clients, seconds) as tpcb:
        return statistics.median(tpcb.tps() for _ in range(repeats))


async def median_seconds(call, repeats: int = 3) -> tuple[float, object]:
    """The median wall time of ``repeats`` awaits of ``call()`` after one warm-up (plan cache,
    buffers), and the last result."""
    result = await call()
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = await call()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result
