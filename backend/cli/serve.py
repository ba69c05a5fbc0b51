"""The long-running processes: the API, the console, the worker; and the migrations they need."""

from __future__ import annotations

import asyncio

from backend.cli.common import out, safe_url, settings_or_exit, with_database


def migrate() -> None:
    """Apply the committed database migrations."""
    settings = settings_or_exit()
    from backend.core.migrate import migrate as run

    asyncio.run(with_database(run))
    out.print(f"[green]database is up to date[/green] ({safe_url(settings.effective_database_url)})")


def api() -> None:
    """Serve the GraphQL API (Litestar + Strawberry)."""
    import uvicorn

    settings = settings_or_exit()
    uvicorn.run(
        "backend.cli.serve:api_app",
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


def console() -> None:
    """Serve the NiceGUI back-office console."""
    settings_or_exit()
    from ui.main import run_console

    run_console()


def worker() -> None:
    """Run the arq worker: outbox relay and background jobs."""
    settings_or_exit()
    from jobs.worker import run_worker

    run_worker()
