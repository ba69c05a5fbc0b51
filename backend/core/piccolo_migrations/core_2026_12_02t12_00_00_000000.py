"""``mirabelle_unchanged(what)``: raises, so that a statement fails as a whole (PostgreSQL).

A use case sent as one autocommit statement (``sql.fetch_chained``) has no transaction to roll
back when one of its writes changes nothing that must (an idempotency record whose key exists):
the statement calls this instead, and everything it wrote is undone with it. SQLite never sends
such statements, so it has no such function.
"""

from backend.core.migrate import ddl_migration

ID = "2026-12-02T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "mirabelle_unchanged(): fail a one-statement use case"

_POSTGRES = [
    """CREATE OR REPLACE FUNCTION mirabelle_unchanged(what text) RETURNS boolean AS $$
       BEGIN RAISE EXCEPTION USING ERRCODE = 'MB001', MESSAGE = what || ' changed nothing'; END; $$ LANGUAGE plpgsql VOLATILE""",
]


async def forwards():
    return ddl_migration(ID, "core", DESCRIPTION, [], postgres=_POSTGRES)
