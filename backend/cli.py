"""The ``mirabelle`` command."""

from __future__ import annotations

import asyncio
import getpass
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.panel import Panel

from backend.core.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from backend.core.authz import Actor

app = typer.Typer(help="Mirabelle: the open back office for reward and incentive programmes.", no_args_is_help=True)
users_app = typer.Typer(help="Console users.", no_args_is_help=True)
schema_app = typer.Typer(help="The public GraphQL contract.", no_args_is_help=True)
ledger_app = typer.Typer(help="The points ledger.", no_args_is_help=True)
outbox_app = typer.Typer(help="The outbox: events for the worker; list and replay those it gave up on.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(ledger_app, name="ledger")
app.add_typer(outbox_app, name="outbox")
app.add_typer(schema_app, name="schema")
out = Console(stderr=True)

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "graphql" / "schema.graphql"
DEMO_ADMIN_EMAIL = "admin@example.com"


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        out.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


async def _with_database(work):
    from backend.core.db import close_pool, start_pool
    from backend.core.logging import configure_logging

    configure_logging("WARNING")
    await start_pool(max_size=4)
    try:
        return await work()
    finally:
        await close_pool()


@app.command()
def migrate() -> None:
    """Apply the committed database migrations."""
    settings = _settings()
    from backend.core.migrate import migrate as run

    asyncio.run(_with_database(run))
    out.print(f"[green]database is up to date[/green] ({_safe_url(settings.effective_database_url)})")


@app.command()
def api() -> None:
    """Serve the GraphQL API (Litestar + Strawberry)."""
    import uvicorn

    settings = _settings()
    uvicorn.run(
        "backend.cli:api_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        timeout_keep_alive=settings.api_keep_alive_seconds,
        log_level="warning",
        access_log=False,
    )


def api_app():
    """uvicorn's app factory for `mirabelle api`. With MIRABELLE_API_WORKERS > 1 it runs in each worker
    process uvicorn spawns, which then stops with uvicorn's supervisor, even one killed outright."""
    from multiprocessing import parent_process

    from backend.api.app import create_app
    from backend.core.child_process import stop_with_parent

    supervisor = parent_process()  # None when uvicorn serves in this very process
    if supervisor is not None:
        stop_with_parent(supervisor.pid)
    return create_app()


@app.command()
def console() -> None:
    """Serve the NiceGUI back-office console."""
    _settings()
    from ui.main import run_console

    run_console()


@app.command()
def worker() -> None:
    """Run the arq worker: outbox relay and background jobs."""
    _settings()
    from jobs.worker import run_worker

    run_worker()


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="sign-in email"),
    name: str = typer.Option(..., help="display name"),
    role: list[str] = typer.Option(["admin"], help="a role; repeat for several"),
    password: str = typer.Option("", help="leave empty to be asked (not echoed)"),
) -> None:
    """Create a console user."""
    _settings()
    from backend.access import service as access
    from backend.core.errors import DomainError

    if not password:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            out.print("[red]passwords differ[/red]")
            raise typer.Exit(2)
    try:
        user = asyncio.run(_with_database(lambda: access.create_user(_command_line(), email, name, password, role)))
    except DomainError as error:
        for item in error.errors:
            out.print(f"[red]{item.field or 'error'}: {item.message}[/red]")
        raise typer.Exit(1) from None
    out.print(f"[green]created {user.email}[/green] with roles {', '.join(user.roles)}")


def _command_line() -> Actor:
    """Whoever runs this command at the shell: the system actor, labelled with the OS user and the
    command line, so the audit log says who did it and how."""
    from backend.core.authz import Actor, ActorKind
    from backend.core.tables import AuditEvent

    command = shlex.join(["mirabelle", *sys.argv[1:]])
    label = f"cli:{getpass.getuser()}: {command}"
    return Actor(kind=ActorKind.SYSTEM, id=None, label=label[: AuditEvent.actor_label.length])


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Recompute every balance from the transfers; exit 1 if anything differs or does not sum to zero."""
    _settings()
    from backend.ledger.verify import verify

    report = asyncio.run(_with_database(verify))
    for line in report.lines():
        out.print(line, markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@outbox_app.command("list")
def outbox_list(
    failed: bool = typer.Option(False, "--failed", help="only the events the worker gave up on"),
    limit: int = typer.Option(50, min=1, max=500, help="how many, newest first"),
) -> None:
    """List the outbox's events, newest first (the failed ones with --failed)."""
    _settings()
    from rich.table import Table

    from backend.core import outbox

    page = asyncio.run(
        _with_database(lambda: outbox.list_events(_command_line(), outbox.FAILED if failed else None, limit=limit))
    )
    table = Table("Event", "Topic", "Status", "Attempts", "Created (UTC)", "Last error")
    table.columns[0].min_width, table.columns[0].no_wrap = 36, True
    for event in page.rows:
        table.add_row(
            str(event.id),
            event.topic,
            event.status,
            str(event.attempts),
            f"{event.created_at:%Y-%m-%d %H:%M:%S}",
            event.last_error or "",
        )
    Console().print(table)
    out.print(f"{len(page.rows)} of {page.total} {'failed ' if failed else ''}event(s)")


@outbox_app.command("replay")
def outbox_replay(
    event_ids: list[str] = typer.Argument(None, help="ids of failed events", show_default=False),
    all_failed: bool = typer.Option(False, "--all-failed", help="every event the worker gave up on"),
) -> None:
    """Give failed events a new round of attempts (audited with the command line as the actor)."""
    settings = _settings()
    import uuid

    from backend.core import outbox
    from backend.core.errors import DomainError

    if bool(event_ids) == all_failed:
        out.print("[red]name the events to replay, or pass --all-failed[/red]")
        raise typer.Exit(2)
    wanted, malformed = [], []
    for event_id in event_ids or []:
        try:
            wanted.append(uuid.UUID(event_id))
        except ValueError:
            malformed.append(event_id)
    if malformed:
        out.print(f"not an event id: {', '.join(malformed)}", style="red", markup=False)
        raise typer.Exit(2)

    async def replay():
        doorbell = await outbox.open_doorbell(settings.redis_url) if settings.redis_url else None
        try:  # without Redis here, the worker's relay enqueues them at its next tick
            return await outbox.replay(_command_line(), wanted or None, all_failed=all_failed)
        finally:
            if doorbell is not None:
                outbox.set_doorbell(None)
                await doorbell.aclose()

    try:
        replayed = asyncio.run(_with_database(replay))
    except DomainError as error:
        for item in error.errors:
            out.print(item.message, style="red", markup=False)
        out.print("nothing was replayed")
        raise typer.Exit(1) from None
    for event_id in replayed.event_ids:
        print(event_id)
    out.print(f"[green]replayed {len(replayed.event_ids)} event(s)[/green]: pending again, the worker runs them shortly")


@schema_app.command("export")
def schema_export(check: bool = typer.Option(False, help="exit 1 if the committed file differs instead of writing it")) -> None:
    """Write graphql/schema.graphql from the code (or check it is current)."""
    from backend.api.schema import export_sdl

    sdl = export_sdl()
    if check:
        current = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
        if current != sdl:
            out.print(f"[red]{SCHEMA_FILE} is out of date: run `mirabelle schema export`[/red]")
            raise typer.Exit(1)
        out.print("[green]schema is current[/green]")
        return
    SCHEMA_FILE.write_text(sdl)
    out.print(f"[green]wrote {SCHEMA_FILE}[/green]")


# ------------------------------------------------------------------ api-keys

api_keys_app = typer.Typer(help="Integrators' API keys.", no_args_is_help=True)
app.add_typer(api_keys_app, name="api-keys")


def _run_or_exit(work, code_on_refusal: int):
    """Run ``work`` on the database; a refusal prints each error on stderr and exits."""
    from backend.core.errors import DomainError

    try:
        return asyncio.run(_with_database(work))
    except DomainError as error:
        for item in error.errors:
            out.print(f"[red]{item.field or 'error'}: {item.message}[/red]", highlight=False)
        raise typer.Exit(code_on_refusal) from None


@api_keys_app.command("create")
def api_keys_create(
    name: str = typer.Option(..., help="what the key is for, e.g. 'POS connector'"),
    scope: list[str] = typer.Option(..., help="a scope such as rewards:write; repeat for several"),
) -> None:
    """Create a key. Its secret is printed once, alone on stdout: keep it, it is never shown again."""
    _settings()
    from backend.access import service as access

    key, secret = _run_or_exit(lambda: access.create_api_key(_command_line(), name, scope), code_on_refusal=2)
    out.print(f"[green]created API key {key.name}[/green] (id {key.id}, scopes {', '.join(key.scopes)})", highlight=False)
    out.print("The secret follows on stdout, shown once: store it now.")
    print(secret)


@api_keys_app.command("list")
def api_keys_list() -> None:
    """Every key: name, scopes, dates; never a secret."""
    _settings()
    from rich.table import Column, Table

    from backend.access import service as access

    async def every_key():
        keys, operator = [], _command_line()
        while True:
            page = await access.list_api_keys(operator, offset=len(keys), limit=200)
            keys.extend(page.rows)
            if not page.rows or len(keys) >= page.total:
                await access.record_api_keys_listed(operator, len(keys))
                return keys

    # The id stays on one line (revoke takes it); a narrow terminal folds the others, never cuts them.
    headers = ("key", "name", "scopes", "created", "last used", "revoked")
    table = Table(Column("id", no_wrap=True), *(Column(header, overflow="fold") for header in headers), title="API keys")
    for key in _run_or_exit(every_key, code_on_refusal=1):
        table.add_row(
            str(key.id),
            f"mb_{key.prefix}_…",
            key.name,
            " ".join(key.scopes),
            _when(key.created_at),
            _when(key.last_used_at),
            _when(key.revoked_at),
        )
    Console().print(table)


@api_keys_app.command("revoke")
def api_keys_revoke(key: str = typer.Argument(..., help="the key's id, its mb_<prefix>, or its name")) -> None:
    """Revoke a key: the api refuses it from now on."""
    _settings()
    from backend.access import service as access

    async def revoke():
        operator = _command_line()
        found = await access.find_api_key(operator, key)
        return await access.revoke_api_key(operator, found.id)

    revoked = _run_or_exit(revoke, code_on_refusal=1)
    out.print(f"[green]revoked API key {revoked.name}[/green] (id {revoked.id}, mb_{revoked.prefix})", highlight=False)


# ------------------------------------------------------------------ deliveries

deliveries_app = typer.Typer(help="Delivering rewards to their recipients.", no_args_is_help=True)
app.add_typer(deliveries_app, name="deliveries")


@deliveries_app.command("backfill")
def deliveries_backfill() -> None:
    """Give every issued reward without a delivery its own (rewards issued before deliveries existed,
    or whose events were parked as failed). Safe to run again: nothing is made twice."""
    _settings()
    from backend.deliveries.services import creation

    report = _run_or_exit(lambda: creation.backfill(_command_line()), code_on_refusal=1)
    out.print(
        f"[green]{report.created:,} deliveries made[/green] for {report.examined:,} issued rewards "
        f"({report.flagged:,} flagged at once for a missing contact, {report.skipped:,} unreadable)",
        highlight=False,
    )


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "-"


# ------------------------------------------------------------------ up


def _safe_url(url: str) -> str:
    """A URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}:***@{host}" if ":" in credentials else url
    return url


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


@app.command()
def up() -> None:
    """Everything on one machine: api, console and worker (plus an embedded Redis if none is configured)."""
    settings = _settings()
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

    from backend.access import service as access
    from backend.core.migrate import migrate as run_migrations

    async def prepare():
        await run_migrations()
        return await access.ensure_admin(DEMO_ADMIN_EMAIL)

    processes: list[subprocess.Popen] = []
    try:
        password = asyncio.run(_with_database(prepare))
        out.print(f"database ready: {_safe_url(settings.effective_database_url)}")
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


if __name__ == "__main__":
    app()
