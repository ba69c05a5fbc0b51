"""Webhook tables: endpoints, one delivery per (endpoint, event), one row per attempt.

Composite uniques and the due-delivery index are in the raw migration (Piccolo columns cannot
declare them): UNIQUE (endpoint, event_id), UNIQUE (delivery, series, number)."""

from piccolo.columns import JSON, UUID, Array, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class WebhookEndpoint(Table, tablename="webhook_endpoints"):
    id = UUID(primary_key=True, default=UUID7Default())
    url = Varchar(length=2000)
    description = Varchar(length=500, default="")
    topics = Array(base_column=Varchar(length=100))
    # The signing secret sealed by backend.core.encryption ("v1:<key id>:…"); shown in full only once.
    secret_sealed = Text()
    enabled = Boolean(default=True, index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    secret_rotated_at = Timestamptz(null=True, default=None)
    # Who created it (a user or an API key id) and their label: webhooks may not import access.
    created_by = UUID(null=True, default=None)
    created_by_label = Varchar(length=255, default="")


class WebhookDelivery(Table, tablename="webhook_deliveries"):
    """One event for one endpoint. ``series`` counts replays; ``attempts`` counts tries in the series."""

    id = UUID(primary_key=True, default=UUID7Default())
    # RESTRICT: the history of what was sent is never deleted with its endpoint (endpoints are disabled).
    endpoint = ForeignKey(references=WebhookEndpoint, index=True, on_delete=OnDelete.restrict)
    event_id = UUID(index=True)
    topic = Varchar(length=100, index=True)
    payload = JSON()
    status = Varchar(length=16, default="pending", index=True)
    series = Integer(default=1)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)  # the lease of the worker sending it now
    last_status_code = Integer(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(index=True)
    delivered_at = Timestamptz(null=True, default=None)


class WebhookAttempt(Table, tablename="webhook_attempts"):
    id = UUID(primary_key=True, default=UUID7Default())
    delivery = ForeignKey(references=WebhookDelivery, index=True, on_delete=OnDelete.restrict)
    series = Integer()
    number = Integer()
    started_at = Timestamptz()
    duration_ms = Integer()
    status_code = Integer(null=True, default=None)
    error = Text(null=True, default=None)
    response_excerpt = Text(null=True, default=None)
    next_attempt_at = Timestamptz(null=True, default=None)  # the retry this failure scheduled, if any
