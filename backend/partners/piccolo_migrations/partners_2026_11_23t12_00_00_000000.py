"""What Piccolo's columns cannot say, so the database settles the races: an item is completed once,
a stage is signed off once, and a partner has at most one pending go-live request."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique item completion, unique stage sign-off, one pending go-live request"

_STATEMENTS = [
    "CREATE UNIQUE INDEX onboarding_item_completions_once ON onboarding_item_completions (partner, stage, item)",
    "CREATE UNIQUE INDEX onboarding_stage_sign_offs_once ON onboarding_stage_sign_offs (partner, stage)",
    "CREATE UNIQUE INDEX go_live_requests_one_pending ON go_live_requests (partner) WHERE status = 'pending'",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="partners", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in _STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
