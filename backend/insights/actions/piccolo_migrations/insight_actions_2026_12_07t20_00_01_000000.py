"""What Piccolo's columns cannot say: at most one pending replacement per partner (a second request
waits for the first to be decided)."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T20:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one pending partner replacement per partner"


async def forwards():
    return ddl_migration(
        ID,
        "insight_actions",
        DESCRIPTION,
        [
            "CREATE UNIQUE INDEX insight_actions_one_pending_replacement ON insight_actions (partner_id) "
            "WHERE kind = 'partner_replacement' AND status = 'pending'"
        ],
    )
