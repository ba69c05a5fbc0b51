"""``mirabelle api-keys``: integrators' API keys, created, listed and revoked from the shell (audited)."""

from __future__ import annotations

import typer
from rich.console import Console

from backend.cli.common import command_line, out, run_or_exit, settings_or_exit, when

api_keys_app = typer.Typer(help="Integrators' API keys.", no_args_is_help=True)


@api_keys_app.command("create")
def api_keys_create(
    name: str = typer.Option(..., help="what the key is for, e.g. 'POS connector'"),
    scope: list[str] = typer.Option(..., help="a scope such as rewards:write; repeat for several"),
) -> None:
    """Create a key. Its secret is printed once, alone on stdout: keep it, it is never shown again."""
    settings_or_exit()
    from backend.access import services as access

    key, secret = run_or_exit(lambda: access.create_api_key(command_line(), name, scope), code_on_refusal=2)
    out.print(f"[green]created API key {key.name}[/green] (id {key.id}, scopes {', '.join(key.scopes)})", highlight=False)
    out.print("The secret follows on stdout, shown once: store it now.")
    print(secret)


@api_keys_app.command("list")
def api_keys_list() -> None:
    """Every key: name, scopes, dates; never a secret."""
    settings_or_exit()
    from rich.table import Column, Table

    from backend.access import services as access

    async def every_key():
        keys, operator = [], command_line()
        while True:
            page = await access.list_api_keys(operator, offset=len(keys), limit=200)
            keys.extend(page.rows)
            if not page.rows or len(keys) >= page.total:
                await access.record_api_keys_listed(operator, len(keys))
                return keys

    # The id stays on one line (revoke takes it); a narrow terminal folds the others, never cuts them.
    headers = ("key", "name", "scopes", "created", "last used", "revoked")
    table = Table(Column("id", no_wrap=True), *(Column(header, overflow="fold") for header in headers), title="API keys")
    for key in run_or_exit(every_key, code_on_refusal=1):
        table.add_row(
            str(key.id),
            f"mb_{key.prefix}_…",
            key.name,
            " ".join(key.scopes),
            when(key.created_at),
            when(key.last_used_at),
            when(key.revoked_at),
        )
    Console().print(table)


@api_keys_app.command("revoke")
def api_keys_revoke(key: str = typer.Argument(..., help="the key's id, its mb_<prefix>, or its name")) -> None:
    """Revoke a key: the api refuses it from now on."""
    settings_or_exit()
    from backend.access import services as access

    async def revoke():
        operator = command_line()
        found = await access.find_api_key(operator, key)
        return await access.revoke_api_key(operator, found.id)

    revoked = run_or_exit(revoke, code_on_refusal=1)
    out.print(f"[green]revoked API key {revoked.name}[/green] (id {revoked.id}, mb_{revoked.prefix})", highlight=False)
