"""``mirabelle users``: console users."""

from __future__ import annotations

import asyncio
import getpass

import typer

from backend.cli.common import command_line, out, settings_or_exit, with_database

users_app = typer.Typer(help="Console users.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="sign-in email"),
    name: str = typer.Option(..., help="display name"),
    role: list[str] = typer.Option(["admin"], help="a role; repeat for several"),
    password: str = typer.Option("", help="leave empty to be asked (not echoed)"),
) -> None:
    """Create a console user."""
    settings_or_exit()
    from backend.access import services as access
    from backend.core.errors import DomainError

    if not password:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            out.print("[red]passwords differ[/red]")
            raise typer.Exit(2)
    try:
        user = asyncio.run(with_database(lambda: access.create_user(command_line(), email, name, password, role)))
    except DomainError as error:
        for item in error.errors:
            out.print(f"[red]{item.field or 'error'}: {item.message}[/red]")
        raise typer.Exit(1) from None
    out.print(f"[green]created {user.email}[/green] with roles {', '.join(user.roles)}")
