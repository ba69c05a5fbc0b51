"""What the deliveries services hand to adapters: frozen views, never table rows."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core.clock import as_utc, maybe_utc

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
DELIVERY_STATUSES = (PENDING, SENDING, SENT, FAILED)
PRIMARY, FAILOVER = "primary", "failover"
DELIVERY_DUE = "delivery.due"  # the outbox topic: this delivery is due to be sent
MISSING_CONTACT = "MISSING_CONTACT"


@dataclass(frozen=True)
class DeliveryView:
    id: uuid.UUID
    issuance_id: uuid.UUID
    recipient_id: uuid.UUID
    programme_id: uuid.UUID
    campaign_id: uuid.UUID
    channel: str
    contact: str | None
    language: str
    status: str
    attempts: int
    provider_role: str
    next_attempt_at: datetime | None
    provider: str | None
    provider_message_id: str | None
    failure_code: str | None
    failure_reason: str | None
    created_at: datetime
    sent_at: datetime | None
    upload_id: uuid.UUID | None = None  # the bulk upload that issued the reward
    issued_at: datetime | None = None  # the reward's issue time


def delivery_view(row) -> DeliveryView:
    return DeliveryView(
        id=row["id"],
        issuance_id=row["issuance_id"],
        recipient_id=row["recipient_id"],
        programme_id=row["programme_id"],
        campaign_id=row["campaign_id"],
        channel=row["channel"],
        contact=row["contact"],
        language=row["language"],
        status=row["status"],
        attempts=row["attempts"],
        provider_role=row["provider_role"],
        next_attempt_at=maybe_utc(row["next_attempt_at"]),
        provider=row["provider"],
        provider_message_id=row["provider_message_id"],
        failure_code=row["failure_code"],
        failure_reason=row["failure_reason"],
        created_at=as_utc(row["created_at"]),
        sent_at=maybe_utc(row["sent_at"]),
        upload_id=row["upload_id"],
        issued_at=maybe_utc(row["issued_at"]),
    )


@dataclass(frozen=True)
class AttemptView:
    number: int
    channel: str
    provider: str
    provider_role: str
    provider_message_id: str | None
    status: str  # sent | transient | permanent
    error_code: str | None
    error_text: str | None
    latency_ms: int
    started_at: datetime
    retry_at: datetime | None


def attempt_view(row) -> AttemptView:
    return AttemptView(
        number=row["number"],
        channel=row["channel"],
        provider=row["provider"],
        provider_role=row["provider_role"],
        provider_message_id=row["provider_message_id"],
        status=row["status"],
        error_code=row["error_code"],
        error_text=row["error_text"],
        latency_ms=row["latency_ms"],
        started_at=as_utc(row["started_at"]),
        retry_at=maybe_utc(row["retry_at"]),
    )


@dataclass(frozen=True)
class ProviderView:
    id: uuid.UUID
    programme_id: uuid.UUID
    channel: str
    role: str
    kind: str
    settings: dict
    secret_masked: str  # never the secret itself
    updated_at: datetime
    callback_secret_masked: str = ""  # the callbacks' own signing secret (Meta's app secret), masked


def provider_view(row, secret_masked: str, callback_secret_masked: str = "") -> ProviderView:
    settings = row["settings"]
    return ProviderView(
        id=row["id"],
        programme_id=row["programme_id"],
        channel=row["channel"],
        role=row["role"],
        kind=row["kind"],
        settings=json.loads(settings) if isinstance(settings, str) else dict(settings or {}),
        secret_masked=secret_masked,
        updated_at=as_utc(row["updated_at"]),
        callback_secret_masked=callback_secret_masked,
    )


@dataclass(frozen=True)
class SandboxMessageView:
    id: uuid.UUID
    delivery_id: uuid.UUID
    channel: str
    recipient: str
    subject: str
    html: str
    text: str
    created_at: datetime
