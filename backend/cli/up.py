"""``mirabelle up``: api, console and worker on one machine, with an embedded Redis when none is configured."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request

import typer
from rich.panel import Panel

from backend.cli.common import out, safe_url, settings_or_exit, with_database

DEMO_ADMIN_EMAIL = "admin@example.com"


def _wait_http(url: str, deadline: float, processes: list[subprocess.Popen]) -> bool:
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return True
        except Exception:
            time.sleep(0.25)
    return False


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def up() -> None:
    """Everything on one machine: api, console and worker (plus an embedded Redis if none is configured)."""
    settings = settings_or_exit()
    from backend.core.child_process import stopping_with_this_process
    from backend.core.redis_server import EmbeddedRedis

    env = dict(os.environ)
    env["MIRABELLE_VAR_DIR"] = str(settings.var_dir)
    embedded = None
    if not settings.redis_url:
        embedded = EmbeddedRedis(settings.var_dir / "redis", stop_with_parent=True).start()
        env["MIRABELLE_REDIS_URL"] = embedded.url
        out.print(f"embedded Redis on {embedded.url}")
    settings.effective_secret_key()  # generate it once, before three processes race to

    from backend.access import services as access
    from backend.core.migrate import migrate as run_migrations

    async def prepare():
        await run_migrations()
        return await access.ensure_admin(DEMO_ADMIN_EMAIL)

    processes: list[subprocess.Popen] = []
    try:
        password = asyncio.run(with_database(prepare))
        out.print(f"database ready: {safe_url(settings.effective_database_url)}")
        if password:
            out.print(
                Panel(
                    f"email:    {DEMO_ADMIN_EMAIL}\npassword: {password}\n\nShown once. Sign in and change it, or create your own admin.",
                    title="demo admin created",
                    border_style="yellow",
                )
            )
        # Each child stops with this process even if it is killed outright (SIGKILL, the OOM
        # killer) and cannot stop them: otherwise they would keep the ports of the next `make up`.
        for name in ("api", "console", "worker"):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "backend.cli", name],
                    env=env,
                    start_new_session=True,
                    preexec_fn=stopping_with_this_process(),
                )
            )
        deadline = time.monotonic() + 60
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        console_url = f"http://{settings.console_host}:{settings.console_port}"
        if not (
            _wait_http(f"{api_url}/healthz", deadline, processes) and _wait_http(f"{console_url}/login", deadline, processes)
        ):
            out.print("[red]a process failed to start; stopping[/red]")
            raise typer.Exit(1)
        out.print(
            Panel(
                f"GraphQL API + GraphiQL  {api_url}/graphql\nConsole                 {console_url}\n\nCtrl-C stops everything.",
                title="Mirabelle is up",
                border_style="green",
            )
        )
        signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop means the same as Ctrl-C
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        failed = [name for name, process in zip(("api", "console", "worker"), processes) if process.poll() is not None]
        out.print(f"[red]{', '.join(failed)} stopped unexpectedly; stopping the rest[/red]")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        out.print("stopping…")
    finally:
        _stop(processes)
        if embedded is not None:
            embedded.stop()
        out.print("stopped")
