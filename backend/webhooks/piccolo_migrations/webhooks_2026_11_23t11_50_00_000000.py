"""What Piccolo's columns cannot say: an outbox event delivered twice makes one delivery per
endpoint, an attempt number is used once per series, and the worker's cron finds due deliveries
by index."""

from backend.core.migrate import ddl_migration

ID = "2026-11-23T11:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique delivery per endpoint and event; unique attempt number; due-delivery index"

_STATEMENTS = [
    "CREATE UNIQUE INDEX webhook_deliveries_endpoint_event ON webhook_deliveries (endpoint, event_id)",
    "CREATE UNIQUE INDEX webhook_attempts_delivery_series_number ON webhook_attempts (delivery, series, number)",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
]


async def forwards():
    return ddl_migration(ID, "webhooks", DESCRIPTION, _STATEMENTS)
