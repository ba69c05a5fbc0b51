"""The `mirabelle` command as a user runs it: `up` on a machine with no database or Redis server."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from backend.core.redis_server import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env(tmp_path, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIRABELLE_")}
    env.update(MIRABELLE_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _descendants(pid: int) -> set[int]:
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        for line in subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True).stdout.split():
            found.add(int(line))
            frontier.append(int(line))
    return found


def test_a_bad_setting_stops_start_up_naming_the_variable(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "migrate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(tmp_path, MIRABELLE_DATABASE_URL="mysql://nope", MIRABELLE_LOG_LEVEL="LOUD"),
        timeout=60,
    )
    assert result.returncode == 2
    assert "MIRABELLE_DATABASE_URL" in result.stderr and "MIRABELLE_LOG_LEVEL" in result.stderr


def test_up_serves_api_and_console_then_stops_everything_on_ctrl_c(tmp_path):
    api_port, console_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "up"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path, MIRABELLE_API_PORT=str(api_port), MIRABELLE_CONSOLE_PORT=str(console_port), COLUMNS="120"),
    )
    try:
        started = time.monotonic()
        deadline = started + 60
        ready = False
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = (
                    _get(f"http://127.0.0.1:{api_port}/readyz")[0] == 200
                    and _get(f"http://127.0.0.1:{console_port}/login")[0] == 200
                )
            except OSError:
                ready = False
            if ready:
                break
            time.sleep(0.5)
        assert ready, f"not serving within 60 s (exit code {process.poll()})"
        status, body = _get(f"http://127.0.0.1:{api_port}/graphql")  # GraphiQL
        assert status == 200 and "graphiql" in body.lower()
        children = _descendants(process.pid)
        assert len(children) >= 4  # api, console, worker, redis-server
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "demo admin created" in output and "admin@example.com" in output
    time.sleep(0.5)
    alive = [
        pid for pid in children if os.path.exists(f"/proc/{pid}") and "zombie" not in open(f"/proc/{pid}/status").read().lower()
    ]
    assert not alive, f"processes left running: {alive}"
    print(f"make up served both URLs after {time.monotonic() - started:.1f} s")


def test_ledger_verify_reports_a_tampered_balance(tmp_path):
    import sqlite3

    env = _env(tmp_path)

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
        )

    assert run("migrate").returncode == 0
    clean = run("ledger", "verify")
    assert clean.returncode == 0 and "ledger verified: no differences" in clean.stderr
    database = tmp_path / "var" / "mirabelle.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO programmes (id, name, description, currency, point_value_micros, status, created_at, updated_at) "
            "VALUES ('00000000-0000-7000-8000-000000000001', 'P', '', 'INR', 250000, 'active', '2026-01-01', '2026-01-01')"
        )
        connection.execute(
            "INSERT INTO ledger_accounts (id, programme_id, kind, shard, debits_pending, debits_posted, credits_pending, "
            "credits_posted, created_at) VALUES ('00000000-0000-7000-8000-000000000002', "
            "'00000000-0000-7000-8000-000000000001', 'funding', 0, 0, 0, 0, 5, '2026-01-01')"
        )
    tampered = run("ledger", "verify")
    assert tampered.returncode == 1, tampered.stderr
    assert "NOT verified" in tampered.stderr and "credits_posted stored 5, recomputed 0" in tampered.stderr
