"""The ``rewards(filter)`` connection of the API reads issuances by issue time, newest first."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T10:02:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reward_issuances: index by issue time for the rewards connection's issuedAfter/issuedBefore"

_STATEMENTS = ["CREATE INDEX reward_issuances_by_issued_at ON reward_issuances (issued_at, id)"]


async def forwards():
    return ddl_migration(ID, "rewards", DESCRIPTION, _STATEMENTS)
