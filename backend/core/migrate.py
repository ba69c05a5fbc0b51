"""Apply every app's committed migrations to the configured database."""

import contextlib
import io

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.finder import engine_finder


class MigrationFailed(Exception):
    pass


async def migrate(quiet: bool = True) -> None:
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        result = await run_forwards("all")
    if not result.success:
        raise MigrationFailed(f"migrations failed: {result.message}\n{output.getvalue()}")


def ddl_migration(
    migration_id: str,
    app_name: str,
    description: str,
    statements: list[str],
    *,
    sqlite: list[str] = (),
    postgres: list[str] = (),
) -> MigrationManager:
    """A hand-written migration that runs ``statements`` in order (indexes and constraints Piccolo's
    columns cannot say), on SQLite and PostgreSQL alike, after the statements for the engine at
    hand (``sqlite`` or ``postgres``: triggers and functions, which the two write differently)."""
    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

    async def run():
        engine = engine_finder()
        for statement in [*(sqlite if engine.engine_type == "sqlite" else postgres), *statements]:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
