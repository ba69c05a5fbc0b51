"""The announcement sender's index: an announcement's messages by status (pending first)."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T20:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "announcement messages by announcement and status"


async def forwards():
    return ddl_migration(
        ID,
        "deliveries",
        DESCRIPTION,
        ["CREATE INDEX delivery_announcement_messages_due ON delivery_announcement_messages (announcement, status, id)"],
    )
