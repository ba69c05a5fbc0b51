"""What Piccolo's columns cannot say: one tally per (campaign, recipient), the indexes the
governance and the approval queue read through, and the counters' rules as a database backstop
(CHECK on PostgreSQL, triggers on SQLite): never below zero, never past the maximum count or the
budget. The conditional UPDATEs in services/governance.py are what keep them; this only refuses
a bug."""

from backend.core.migrate import ddl_migration

ID = "2026-11-23T14:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "campaign tallies unique, grant indexes, counter rules"

_BOTH = [
    "CREATE UNIQUE INDEX campaign_recipient_tallies_once ON campaign_recipient_tallies (campaign, recipient_id)",
    # A rolling-window cap counts a recipient's live grants since a moment.
    "CREATE INDEX campaign_grants_window ON campaign_grants (campaign, recipient_id, granted_at) WHERE state <> 'released'",
    # The approval queue of a campaign, oldest first (ids are UUIDv7).
    "CREATE INDEX campaign_grants_queue ON campaign_grants (campaign, id) WHERE state = 'pending'",
]


def _counter_rule(row: str = "") -> str:
    return (
        f"{row}issued_count >= 0 AND {row}issued_value >= 0 AND {row}pending_count >= 0 AND {row}pending_value >= 0"
        f" AND ({row}max_rewards IS NULL OR {row}issued_count + {row}pending_count <= {row}max_rewards)"
        f" AND ({row}budget IS NULL OR {row}issued_value + {row}pending_value <= {row}budget)"
    )


_POSTGRES = [f"ALTER TABLE campaigns ADD CONSTRAINT campaigns_counter_rule CHECK ({_counter_rule()})"]

_SQLITE = [
    f"""CREATE TRIGGER campaigns_counter_rule_{event.lower()} BEFORE {event} ON campaigns WHEN NOT ({_counter_rule("NEW.")})
       BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: campaigns_counter_rule'); END"""
    for event in ("INSERT", "UPDATE")
]


async def forwards():
    return ddl_migration(ID, "campaigns", DESCRIPTION, _BOTH, sqlite=_SQLITE, postgres=_POSTGRES)
