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


# ------------------------------------------------------------------ api-keys


def _mirabelle(tmp_path, db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(tmp_path, MIRABELLE_DATABASE_URL=db_url, COLUMNS="200"),
        timeout=120,
    )


async def test_api_keys_are_created_listed_and_revoked_from_the_command_line_and_audited(db, tmp_path):
    import getpass
    import hashlib
    import re

    from backend.access import services as access
    from backend.access.tables import ApiKey
    from backend.core import audit
    from backend.core.authz import SYSTEM

    created = _mirabelle(
        tmp_path, db.url, "api-keys", "create", "--name", "POS connector", "--scope", "rewards:write", "--scope", "points:read"
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert re.findall(r"mb_\S*", created.stdout + created.stderr) == [secret]  # the only mb_ word, on stdout
    [row] = await ApiKey.select()
    assert (
        secret.startswith(f"mb_{row['prefix']}_")
        and row["secret_hash"] == hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest()
    )
    assert (row["name"], sorted(row["scopes"])) == ("POS connector", ["points:read", "rewards:write"])
    assert (await access.authenticate_api_key(secret)).label == "api-key:POS connector"

    listed = _mirabelle(tmp_path, db.url, "api-keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert "POS connector" in listed.stdout and "points:read rewards:write" in listed.stdout and str(row["id"]) in listed.stdout
    assert secret.split("_", 2)[2][:8] not in listed.stdout + listed.stderr

    revoked = _mirabelle(tmp_path, db.url, "api-keys", "revoke", "POS connector")
    assert revoked.returncode == 0, revoked.stderr
    assert (await ApiKey.select(ApiKey.revoked_at).first())["revoked_at"] is not None
    again = _mirabelle(tmp_path, db.url, "api-keys", "revoke", str(row["id"]))
    assert again.returncode == 1 and "already revoked" in again.stderr
    assert "2026" in _mirabelle(tmp_path, db.url, "api-keys", "list").stdout.split("POS connector", 1)[1]  # revoked on …

    entries = (await audit.search(SYSTEM, audit.AuditFilter(entity_type="api_key"))).rows
    operator = f"cli:{getpass.getuser()}: mirabelle api-keys"
    assert [(entry["action"], entry["actor_kind"]) for entry in entries] == [
        ("api_key.listed", "system"),
        ("api_key.revoked", "system"),
        ("api_key.listed", "system"),
        ("api_key.created", "system"),
    ]
    assert entries[3]["actor_label"] == f"{operator} create --name 'POS connector' --scope rewards:write --scope points:read"
    assert entries[2]["actor_label"] == entries[0]["actor_label"] == f"{operator} list"
    assert entries[1]["actor_label"] == f"{operator} revoke 'POS connector'"


async def test_an_unknown_scope_is_refused_naming_the_valid_ones_and_creates_nothing(db, tmp_path):
    from backend.access.tables import ApiKey

    result = _mirabelle(
        tmp_path, db.url, "api-keys", "create", "--name", "CRM", "--scope", "rewards:write", "--scope", "users:manage"
    )
    assert result.returncode == 2
    assert "mb_" not in result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert (
        "unknown scope(s) users:manage" in message
        and "rewards:read, rewards:write, tickets:manage, tickets:read, tickets:write" in message
    )
    assert await ApiKey.count() == 0


# ------------------------------------------------------------------ api


def test_the_api_keeps_an_idle_connection_open_longer_than_clients_do(tmp_path):
    """httpx keeps an idle connection for 5 s, as uvicorn's default did: a client reusing it just as
    the server closed it lost the request. The server must outlast the client."""
    import socket

    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "api"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tmp_path, MIRABELLE_API_PORT=str(port)),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert api.poll() is None and time.monotonic() < deadline, "the api did not start"
                time.sleep(0.25)
        with connection:
            request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
            connection.sendall(request)
            assert _response(connection).startswith(b"HTTP/1.1 200")
            time.sleep(7)  # idle for longer than httpx's 5 s keep-alive
            connection.sendall(request)
            assert _response(connection).startswith(b"HTTP/1.1 200"), "the server closed the idle connection"
    finally:
        api.terminate()
        api.wait(timeout=30)


def _response(connection) -> bytes:
    """One HTTP response with a Content-Length body, or what came before the server closed."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(4096)
        if not chunk:
            return received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += connection.recv(4096)
    return received


# ------------------------------------------------------------------ processes die with their parent


def _alive(pids) -> list[int]:
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                if "zombie" not in status.read().lower():
                    alive.append(pid)
        except FileNotFoundError:
            pass
    return alive


def _port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds: TIME_WAIT does not count
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _wait_until_serving(process, *urls: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if all(_get(url)[0] == 200 for url in urls):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not serving {urls} within {timeout} s (exit code {process.poll()})")


def _assert_all_stop(pids: set[int], ports: list[int], within: float) -> float:
    """Seconds until every pid has exited and every port is free, or an assertion error."""
    started = time.monotonic()
    while _alive(pids) or not all(_port_is_free(port) for port in ports):
        if time.monotonic() - started > within:
            leftovers = {pid: open(f"/proc/{pid}/cmdline").read().replace("\0", " ")[:120] for pid in _alive(pids)}
            for pid in leftovers:
                os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"still running {within} s after their parent was killed: {leftovers}")
        time.sleep(0.1)
    return time.monotonic() - started


def test_everything_up_started_stops_when_up_is_killed_outright(tmp_path):
    api_port, console_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "up"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tmp_path, MIRABELLE_API_PORT=str(api_port), MIRABELLE_CONSOLE_PORT=str(console_port)),
    )
    try:
        _wait_until_serving(process, f"http://127.0.0.1:{api_port}/readyz", f"http://127.0.0.1:{console_port}/login")
        children = _descendants(process.pid)
        assert len(children) >= 4  # api, console, worker, redis-server
        process.kill()  # SIGKILL, as the OOM killer does: `up` cannot stop anything itself
        process.wait(timeout=10)
        took = _assert_all_stop(children, [api_port, console_port], within=15)
    finally:
        if process.poll() is None:
            process.kill()
    print(f"{len(children)} processes stopped {took:.1f} s after `up` was killed")


def test_the_api_workers_stop_when_their_supervisor_is_killed_outright(tmp_path):
    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "api"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tmp_path, MIRABELLE_API_PORT=str(port), MIRABELLE_API_WORKERS="2"),
    )
    try:
        _wait_until_serving(api, f"http://127.0.0.1:{port}/healthz")
        deadline = time.monotonic() + 30
        while len(workers := _descendants(api.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) >= 2, workers  # uvicorn's worker processes (and multiprocessing's helper)
        api.kill()
        api.wait(timeout=10)
        took = _assert_all_stop(workers, [port], within=15)
    finally:
        if api.poll() is None:
            api.kill()
    print(f"{len(workers)} api worker processes stopped {took:.1f} s after their supervisor was killed")


async def test_a_password_given_on_the_command_line_never_reaches_the_audit_log(db, tmp_path):
    from backend.core import audit
    from backend.core.authz import SYSTEM

    password = "correct-horse-battery-staple-42"
    for form in (["--password", password], [f"--password={password}"]):
        email = f"ops{len(form)}@example.com"
        created = _mirabelle(tmp_path, db.url, "users", "create", "--email", email, "--name", "Ops", *form)
        assert created.returncode == 0, created.stderr

    labels = [entry["actor_label"] for entry in (await audit.search(SYSTEM, audit.AuditFilter())).rows]
    created_by_cli = [label for label in labels if " users create " in label]
    assert len(created_by_cli) == 2 and not any(password in label for label in labels)
    assert sorted(label.rsplit(" ", 2)[-2:] == ["--password", "REDACTED"] for label in created_by_cli) == [False, True]
    assert any(label.endswith(" --password=REDACTED") for label in created_by_cli)
