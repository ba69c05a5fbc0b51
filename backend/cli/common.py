"""What the ``mirabelle`` commands share: settings or a clear exit, a database for one command,
the audit actor of whoever runs it, refusals printed on stderr."""

from __future__ import annotations

import asyncio
import getpass
import shlex
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from backend.core.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from backend.core.authz import Actor

out = Console(stderr=True)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        out.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


async def with_database(work):
    from backend.core.db import close_pool, start_pool
    from backend.core.logging import configure_logging

    configure_logging("WARNING")
    await start_pool(max_size=4)
    try:
        return await work()
    finally:
        await close_pool()


def command_line() -> Actor:
    """Whoever runs this command at the shell: the system actor, labelled with the OS user and the
    command line, so the audit log says who did it and how."""
    from backend.core.authz import Actor, ActorKind
    from backend.core.tables import AuditEvent

    command = shlex.join(["mirabelle", *without_secrets(sys.argv[1:])])
    label = f"cli:{getpass.getuser()}: {command}"
    return Actor(kind=ActorKind.SYSTEM, id=None, label=label[: AuditEvent.actor_label.length])


SECRET_OPTION_WORDS = ("password", "secret", "token")


def without_secrets(arguments: list[str]) -> list[str]:
    """The command line as the audit log may keep it: a secret option's value is masked
    (``--password hunter2`` and ``--password=hunter2`` read ``--password REDACTED``)."""
    masked: list[str] = []
    hide_next = False
    for argument in arguments:
        if hide_next:
            masked.append("REDACTED")
            hide_next = False
            continue
        name, has_value, _ = argument.partition("=")
        is_secret = name.startswith("-") and any(word in name.lower() for word in SECRET_OPTION_WORDS)
        if is_secret and has_value:
            masked.append(f"{name}=REDACTED")
        else:
            masked.append(argument)
            hide_next = is_secret
    return masked


def run_or_exit(work, code_on_refusal: int):
    """Run ``work`` on the database; a refusal prints each error on stderr and exits."""
    from backend.core.errors import DomainError

    try:
        return asyncio.run(with_database(work))
    except DomainError as error:
        for item in error.errors:
            out.print(f"[red]{item.field or 'error'}: {item.message}[/red]", highlight=False)
        raise typer.Exit(code_on_refusal) from None


def when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "-"


def safe_url(url: str) -> str:
    """A URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}:***@{host}" if ":" in credentials else url
    return url
