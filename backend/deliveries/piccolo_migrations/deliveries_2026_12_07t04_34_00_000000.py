"""What Piccolo's columns cannot say: an attempt number is used once per delivery, a programme has
one provider per channel and role and one template per channel and language, and the worker's
cron finds due deliveries by index."""

from backend.core.migrate import ddl_migration

ID = "2026-12-07T04:34:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique attempt number, provider per role, template per language; due-delivery index"

_STATEMENTS = [
    "CREATE UNIQUE INDEX delivery_attempts_delivery_number ON delivery_attempts (delivery, number)",
    "CREATE UNIQUE INDEX delivery_providers_programme_channel_role ON delivery_providers (programme_id, channel, role)",
    "CREATE UNIQUE INDEX delivery_templates_programme_channel_language ON delivery_templates (programme_id, channel, language)",
    "CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)",
]


async def forwards():
    return ddl_migration(ID, "deliveries", DESCRIPTION, _STATEMENTS)
