"""``mirabelle outbox``: list the outbox's events and replay those the worker gave up on."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from backend.cli.common import command_line, out, settings_or_exit, with_database

outbox_app = typer.Typer(help="The outbox: events for the worker; list and replay those it gave up on.", no_args_is_help=True)


@outbox_app.command("list")
def outbox_list(
    failed: bool = typer.Option(False, "--failed", help="only the events the worker gave up on"),
    limit: int = typer.Option(50, min=1, max=500, help="how many, newest first"),
) -> None:
    """List the outbox's events, newest first (the failed ones with --failed)."""
    settings_or_exit()
    from rich.table import Table

    from backend.core import outbox

    page = asyncio.run(with_database(lambda: outbox.list_events(command_line(), outbox.FAILED if failed else None, limit=limit)))
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
    settings = settings_or_exit()
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
            return await outbox.replay(command_line(), wanted or None, all_failed=all_failed)
        finally:
            if doorbell is not None:
                outbox.set_doorbell(None)
                await doorbell.aclose()

    try:
        replayed = asyncio.run(with_database(replay))
    except DomainError as error:
        for item in error.errors:
            out.print(item.message, style="red", markup=False)
        out.print("nothing was replayed")
        raise typer.Exit(1) from None
    for event_id in replayed.event_ids:
        print(event_id)
    out.print(f"[green]replayed {len(replayed.event_ids)} event(s)[/green]: pending again, the worker runs them shortly")
