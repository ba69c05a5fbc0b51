"""``mirabelle deliveries``: delivering rewards to their recipients."""

from __future__ import annotations

import typer

from backend.cli.common import command_line, out, run_or_exit, settings_or_exit

deliveries_app = typer.Typer(help="Delivering rewards to their recipients.", no_args_is_help=True)


@deliveries_app.command("backfill")
def deliveries_backfill() -> None:
    """Give every issued reward without a delivery its own (rewards issued before deliveries existed,
    or whose events were parked as failed). Safe to run again: nothing is made twice."""
    settings_or_exit()
    from backend.deliveries.services import creation

    report = run_or_exit(lambda: creation.backfill(command_line()), code_on_refusal=1)
    out.print(
        f"[green]{report.created:,} deliveries made[/green] for {report.examined:,} issued rewards "
        f"({report.flagged:,} flagged at once for a missing contact, {report.skipped:,} unreadable)",
        highlight=False,
    )
