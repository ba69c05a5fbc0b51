"""``mirabelle ledger``: the points ledger."""

from __future__ import annotations

import asyncio

import typer

from backend.cli.common import out, settings_or_exit, with_database

ledger_app = typer.Typer(help="The points ledger.", no_args_is_help=True)


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Recompute every balance from the transfers; exit 1 if anything differs or does not sum to zero."""
    settings_or_exit()
    from backend.ledger.verify import verify

    report = asyncio.run(with_database(verify))
    for line in report.lines():
        out.print(line, markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)
