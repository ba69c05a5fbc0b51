"""What Piccolo's columns cannot say, so the database settles the races: an item is completed once,
a stage is signed off once, and a partner has at most one pending go-live request."""

from backend.core.migrate import ddl_migration

ID = "2026-11-23T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique item completion, unique stage sign-off, one pending go-live request"

_STATEMENTS = [
    "CREATE UNIQUE INDEX onboarding_item_completions_once ON onboarding_item_completions (partner, stage, item)",
    "CREATE UNIQUE INDEX onboarding_stage_sign_offs_once ON onboarding_stage_sign_offs (partner, stage)",
    "CREATE UNIQUE INDEX go_live_requests_one_pending ON go_live_requests (partner) WHERE status = 'pending'",
]


async def forwards():
    return ddl_migration(ID, "partners", DESCRIPTION, _STATEMENTS)
