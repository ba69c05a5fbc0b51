"""``mirabelle_unchanged(guard)`` goes: nothing calls it any more.

It failed a use case sent as one autocommit statement (``sql.fetch_chained``) when one of its
writes changed nothing. Every use case now runs in a transaction on both databases, and its
guarded writes are counted (``sql.flush_checked``), never raised.
"""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop mirabelle_unchanged(): no one-statement use cases"

_POSTGRES = ["DROP FUNCTION IF EXISTS mirabelle_unchanged(integer)"]


async def forwards():
    return ddl_migration(ID, "core", DESCRIPTION, [], postgres=_POSTGRES)
