"""Callbacks find their delivery by the provider's message id."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T11:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index deliveries by provider message id, for status callbacks"

_STATEMENTS = [
    "CREATE INDEX deliveries_provider_message_id ON deliveries (provider_message_id)",
]


async def forwards():
    return ddl_migration(ID, "deliveries", DESCRIPTION, _STATEMENTS)
