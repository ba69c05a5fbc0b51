"""Drive a real `mirabelle api` (2 workers) from a separate process with a wrk script: run by
``load_driver.py`` (Python, so a fresh machine needs nothing more), or by wrk itself with
``MIRABELLE_BENCH_DRIVER=wrk`` (to compare the two)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from baseline import TpcB

from backend.core.redis_server import EmbeddedRedis, free_port

SECONDS, CONNECTIONS, REPEATS = 10, 16, 3
# A fresh api process's first requests fill its caches (parsed and validated documents, verified
# keys, recipients' ids, each pool connection's prepared statements): 16 of them at once wait
# 150–250 ms (measured). The targets are for a running service, so each figure starts warm.
WARM_UP_SECONDS = 3
THREADS = 2  # wrk's -t: Lua states, each with its share of the connections
DRIVER = os.environ.get("MIRABELLE_BENCH_DRIVER", "python")  # or "wrk"
LOAD_DRIVER = Path(__file__).with_name("load_driver.py")


def wrk(url: str, key: str, script: str, tmp_path, seconds: int = SECONDS) -> dict:
    """One run of a wrk script, ``CONNECTIONS`` connections for ``seconds``. ``RUN_ID`` in the
    script becomes a token of this run: idempotency keys built with it are new in every run, so a
    repeated run does fresh work instead of replays. Returns rps, p50 and p99 (ms), non_2xx, and
    ``output``: what the script's done() wrote (with wrk: all of wrk's report)."""
    path = tmp_path / "script.lua"
    path.write_text(script.replace("RUN_ID", uuid.uuid4().hex[:12]))
    if DRIVER == "wrk":
        return _wrk_binary(url, key, path, seconds)
    output = subprocess.run(
        [sys.executable, str(LOAD_DRIVER), url, key, str(path), str(CONNECTIONS), str(THREADS), str(seconds)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output)


def _wrk_binary(url: str, key: str, path, seconds: int) -> dict:
    output = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(path),
            "-H",
            "Content-Type: application/json",
            "-H",
            f"Authorization: Bearer {key}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def ms(label):
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": ms("50"),
        "p99": ms("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "output": output,
    }


def median_run(url: str, key: str, script: str, tmp_path, tpcb: TpcB | None = None) -> dict:
    """The median of ``REPEATS`` runs, after a warm-up whose figures are dropped: by requests per
    second, or with ``tpcb`` by their ratio to a TPC-B run just before each (its tps: ``"tpcb"``)."""
    wrk(url, key, script, tmp_path, seconds=WARM_UP_SECONDS)
    runs = []
    for _ in range(REPEATS):
        before = tpcb.tps() if tpcb is not None else None
        runs.append(wrk(url, key, script, tmp_path) | {"tpcb": before})
    runs.sort(key=lambda run: run["rps"] / (run["tpcb"] or 1))
    return runs[len(runs) // 2] | {"non_2xx": sum(run["non_2xx"] for run in runs)}


@contextlib.contextmanager
def running_api(database_url: str, tmp_path):
    """Yields the /graphql URL of an api process with 2 workers on ``database_url``."""
    port = free_port()
    with EmbeddedRedis(tmp_path / "redis") as redis:
        env = {
            **os.environ,
            "MIRABELLE_DATABASE_URL": database_url,
            "MIRABELLE_REDIS_URL": redis.url,
            "MIRABELLE_API_PORT": str(port),
            "MIRABELLE_API_WORKERS": "2",
            "MIRABELLE_LOG_LEVEL": "WARNING",
            "MIRABELLE_VAR_DIR": str(tmp_path),
        }
        api = subprocess.Popen([sys.executable, "-m", "backend.cli", "api"], env=env, start_new_session=True)
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
