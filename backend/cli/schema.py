"""``mirabelle schema``: the public GraphQL contract, exported or checked for drift."""

from __future__ import annotations

from pathlib import Path

import typer

from backend.cli.common import out

schema_app = typer.Typer(help="The public GraphQL contract.", no_args_is_help=True)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql"


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
