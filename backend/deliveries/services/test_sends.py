"""Test messages: an admin asks the console for one ("send a test SMS to my phone through the
failover provider"), and the worker sends it, as it sends a reward, through the programme's
provider for that channel and role, rendered from the programme's template with sample values. The
console never sends: it writes the request here and rings the worker's job; the outcome comes back
in this row, which the console reads.

One attempt, no retry and no failover: a test says what this provider does now. A worker killed
mid-send leaves a claim that expires; the worker's cron then tries again, with the same
idempotency key (the test's id)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from jinja2 import TemplateError

from backend.core import audit, contact_points, outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import as_utc, maybe_utc, utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.ids import new_id
from backend.deliveries import templates
from backend.deliveries.providers import Message, Outcome, permanent
from backend.deliveries.services.providers import ROLES, provider_for
from backend.deliveries.services.templates import template_for
from backend.deliveries.views import FAILED, FAILOVER, PENDING, SENDING, SENT
from backend.recipients import services as recipients
from backend.recipients.services.validation import CHANNELS

log = structlog.get_logger(__name__)

JOB = "send_test_message"
LEASE = timedelta(seconds=60)  # longer than any provider's own timeout (≤ 30 s)
SUBJECT_PREFIX = "[Test] "


@dataclass(frozen=True)
class TestSendView:
    __test__ = False  # not a pytest class

    id: uuid.UUID
    programme_id: uuid.UUID
    channel: str
    role: str
    contact: str
    language: str
    status: str  # pending | sending | sent | failed
    provider: str | None
    provider_message_id: str | None
    error_code: str | None
    error_text: str | None
    latency_ms: int | None
    requested_by: str
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in (SENT, FAILED)


def _view(row) -> TestSendView:
    return TestSendView(
        id=row["id"],
        programme_id=row["programme_id"],
        channel=row["channel"],
        role=row["role"],
        contact=row["contact"],
        language=row["language"],
        status=row["status"],
        provider=row["provider"],
        provider_message_id=row["provider_message_id"],
        error_code=row["error_code"],
        error_text=row["error_text"],
        latency_ms=row["latency_ms"],
        requested_by=row["requested_by_label"],
        created_at=as_utc(row["created_at"]),
        finished_at=maybe_utc(row["finished_at"]),
    )


def _contact(channel: str, contact: str) -> str:
    if channel == "email":
        return contact_points.email_address(contact, "contact")
    return contact_points.phone_number(contact, None, "contact")


async def ring(test_ids: list[uuid.UUID], redis_pool=None) -> int:
    """Best effort: the worker's cron finds a test nobody rang for."""
    return await outbox.ring_jobs(JOB, ((str(test_id), f"delivery-test:{test_id}", None) for test_id in test_ids), redis_pool)


async def request_test_send(
    actor: Actor, programme_id: uuid.UUID, channel: str, role: str, contact: str, language: str = "en"
) -> TestSendView:
    """Ask the worker to send a test message. Requires deliveries:write; audited. Refused (changing
    nothing) for a bad channel, role or contact, or a failover that is not configured."""
    actor.require(Permission.DELIVERIES_WRITE)
    errors: list[FieldError] = []
    if channel not in CHANNELS:
        errors.append(FieldError("channel", "INVALID_CHANNEL", f"the channel is one of {', '.join(CHANNELS)}"))
    if role not in ROLES:
        errors.append(FieldError("role", "INVALID_ROLE", f"the role is one of {', '.join(ROLES)}"))
    if errors:
        raise DomainError(errors)
    contact = _contact(channel, contact)
    await recipients.get_programme(SYSTEM, programme_id)  # NotFound for an unknown programme
    if role == FAILOVER and not await _has_failover(programme_id, channel):
        raise DomainError.single("NO_PROVIDER", f"no failover provider is set for {channel}: set one first", "role")
    test_id, now = new_id(), utcnow()
    async with write_transaction():
        await sql.fetch(
            """INSERT INTO delivery_test_sends (id, programme_id, channel, role, contact, language, status, requested_by_label,
            created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            test_id,
            programme_id,
            channel,
            role,
            contact,
            (language or "en").strip().lower()[:8],
            PENDING,
            actor.label[:255],
            now,
        )
        await audit.record(
            actor,
            "delivery_test.requested",
            "delivery_test_send",
            test_id,
            after={"programme_id": str(programme_id), "channel": channel, "role": role, "contact": contact},
        )
        row = await sql.fetchrow("SELECT * FROM delivery_test_sends WHERE id = $1", test_id)
    await ring([test_id])
    return _view(row)


async def get_test_send(actor: Actor, test_id: uuid.UUID) -> TestSendView:
    actor.require(Permission.DELIVERIES_READ)
    row = await sql.fetchrow("SELECT * FROM delivery_test_sends WHERE id = $1", test_id)
    if row is None:
        raise NotFound("test message", test_id, field="test_id")
    return _view(row)


async def _has_failover(programme_id: uuid.UUID, channel: str) -> bool:
    row = await sql.fetchrow(
        "SELECT id FROM delivery_providers WHERE programme_id = $1 AND channel = $2 AND role = $3",
        programme_id,
        channel,
        FAILOVER,
    )
    return row is not None


# ---------------------------------------------------------------- the worker's side


async def due_test_sends() -> list[uuid.UUID]:
    """Tests waiting for a worker: never rung (Redis was away), or claimed by one that stopped."""
    rows = await sql.fetch(
        "SELECT id FROM delivery_test_sends WHERE status = $1 OR (status = $2 AND claimed_until < $3) ORDER BY id LIMIT 500",
        PENDING,
        SENDING,
        utcnow(),
    )
    return [row["id"] for row in rows]


async def send_test(test_id: uuid.UUID) -> str:
    """The worker's one attempt; returns the status it left (or ``skipped``: not this worker's)."""
    now = utcnow()
    async with write_transaction():
        claimed = await sql.fetch(
            """UPDATE delivery_test_sends SET status = $2, claimed_until = $3 WHERE id = $1
            AND (status = $4 OR (status = $2 AND claimed_until < $5)) RETURNING *""",
            test_id,
            SENDING,
            now + LEASE,
            PENDING,
            now,
        )
    if not claimed:
        return "skipped"
    test = _view(claimed[0])
    clock = time.monotonic()
    provider_name, outcome = await _send(test)
    latency_ms = round((time.monotonic() - clock) * 1000)
    failure = outcome.failure
    status = SENT if failure is None else FAILED
    async with write_transaction():
        await sql.fetch(
            """UPDATE delivery_test_sends SET status = $2, claimed_until = NULL, provider = $3, provider_message_id = $4,
            error_code = $5, error_text = $6, latency_ms = $7, finished_at = $8 WHERE id = $1 AND status = $9""",
            test_id,
            status,
            provider_name,
            outcome.provider_message_id,
            failure.code if failure else None,
            failure.text if failure else None,
            latency_ms,
            utcnow(),
            SENDING,
        )
    log.info("deliveries.test_sent", test_id=str(test_id), status=status, provider=provider_name)
    return status


async def _send(test: TestSendView) -> tuple[str, Outcome]:
    try:
        configured = await provider_for(test.programme_id, test.channel, test.role)
    except DecryptionFailed as error:
        return "unknown", permanent("PROVIDER_SECRET", f"the {test.role} provider's secret cannot be opened: {error}")
    if configured is None:  # the failover was removed since the test was asked for
        return "none", permanent("NO_PROVIDER", f"no {test.role} provider is configured for {test.channel}")
    provider = configured.provider
    try:
        rendered = templates.render(
            test.channel, await template_for(test.programme_id, test.channel, test.language), templates.SAMPLE
        )
    except TemplateError as error:
        return provider.name, permanent("TEMPLATE_ERROR", f"the {test.channel} template cannot be rendered: {error}")
    message = Message(
        delivery_id=test.id,  # the idempotency key
        programme_id=test.programme_id,
        channel=test.channel,
        to=test.contact,
        subject=SUBJECT_PREFIX + rendered.subject if rendered.subject else "",
        html=rendered.html,
        text=rendered.text,
    )
    try:
        return provider.name, await provider.send(message)
    except Exception as error:  # a provider bug is this test's outcome, not a stuck claim
        log.exception("deliveries.test_provider_error", test_id=str(test.id), provider=provider.name)
        return provider.name, permanent("PROVIDER_ERROR", f"{type(error).__name__}: {error}")
