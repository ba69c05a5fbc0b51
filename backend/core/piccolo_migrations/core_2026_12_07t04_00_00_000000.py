"""``mirabelle_unchanged(guard)`` names only the position of the guard that changed nothing.

Its first form took a text naming the write, and the one-statement use cases that called it sent
their arguments as literals: a refused request's values reached PostgreSQL's log with the error.
Now every value is bound and the error carries a number; the issuance path no longer raises at all
(its guards are counted: ``sql.flush_checked``).
"""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "mirabelle_unchanged(guard integer): no values in the error"

_POSTGRES = [
    "DROP FUNCTION IF EXISTS mirabelle_unchanged(text)",
    """CREATE OR REPLACE FUNCTION mirabelle_unchanged(guard integer) RETURNS boolean AS $$
       BEGIN RAISE EXCEPTION USING ERRCODE = 'MB001', MESSAGE = 'guarded write ' || guard || ' changed nothing'; END; $$
       LANGUAGE plpgsql VOLATILE""",
]


async def forwards():
    return ddl_migration(ID, "core", DESCRIPTION, [], postgres=_POSTGRES)
