"""One attempt at a delivery: claim it, render and send it through its provider, record what happened.

The send sits outside any transaction, so a slow provider never holds a database lock. The claim
is a conditional UPDATE on the delivery's (status, attempts): of two workers given the same
delivery, one sends and the other skips; a delivery already sent or flagged is never sent again
(the state check that makes a re-run after a crash harmless). A worker killed mid-send leaves a
claim that expires (the policy's lease); the delivery is then due again, and the provider gets the
same idempotency key (the delivery id), so one that honours it does not send twice.

Failures: transient → retried with exponential backoff and jitter (at least the provider's
Retry-After) up to the policy's attempts per provider, then the failover provider if the channel
has one, then flagged; permanent → flagged at once, with the reason in words.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from jinja2 import TemplateError

from backend.core import audit, outbox, sql
from backend.core.authz import SYSTEM
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed
from backend.core.ids import new_id
from backend.core.money import format_money
from backend.deliveries import claim_links, pacing, templates
from backend.deliveries.events import REWARD_DELIVERY_FAILED, delivery_payload
from backend.deliveries.policy import DEFAULT_POLICY, SendingPolicy
from backend.deliveries.providers import PERMANENT, Failure, Message, Outcome, Provider, permanent
from backend.deliveries.queue import DueSend
from backend.deliveries.services import channel_rules
from backend.deliveries.services.channel_rules import NextChannel
from backend.deliveries.services.providers import provider_for
from backend.deliveries.services.templates import template_for
from backend.deliveries.views import FAILED, FAILOVER, PENDING, PRIMARY, SENDING, SENT
from backend.recipients import service as recipients
from backend.rewards.services import summaries

log = structlog.get_logger(__name__)

SKIPPED = "skipped"  # not this worker's to send: sent, flagged, not due, or claimed by another
MISSING = "missing"  # no such delivery (yet: its outbox transaction may not have committed)
PACED = "paced"  # the provider's rate limit had no slot free: due again at ``retry.due_at``, no attempt counted
ABANDONED = "ABANDONED"


@dataclass(frozen=True)
class SendOutcome:
    status: str  # sent | pending (a retry is scheduled) | paced | failed (flagged) | skipped | missing
    number: int | None = None
    retry: DueSend | None = None


@dataclass(frozen=True)
class _Claim:
    delivery_id: uuid.UUID
    issuance_id: uuid.UUID
    programme_id: uuid.UUID
    channel: str
    contact: str
    language: str
    role: str
    role_attempts: int  # including this one
    number: int


async def send_delivery(delivery_id: uuid.UUID, policy: SendingPolicy = DEFAULT_POLICY) -> SendOutcome:
    claim = await _claim(delivery_id, policy)
    if isinstance(claim, SendOutcome):
        return claim
    if (quiet := await channel_rules.quiet_wait(claim.delivery_id, claim.programme_id, claim.channel)) is not None:
        return await _put_back(claim, quiet)  # the recipient's quiet hours: no attempt made or counted
    started_at, clock = utcnow(), time.monotonic()
    sent = await _send(claim)
    if isinstance(sent, _Paced):
        return await _put_back(claim, sent.wait_seconds)
    provider_name, outcome = sent
    latency_ms = round((time.monotonic() - clock) * 1000)
    has_failover = False
    if outcome.failure is not None and outcome.failure.kind != PERMANENT and claim.role == PRIMARY:
        has_failover = await _failover_exists(claim)
    fallback = None
    if outcome.failure is not None and _gives_up(claim, outcome.failure, has_failover, policy):
        fallback = await channel_rules.next_channel(claim.delivery_id, claim.programme_id, claim.channel)
    return await _record(claim, provider_name, outcome, started_at, latency_ms, has_failover, policy, fallback)


def _gives_up(claim: _Claim, failure: Failure, has_failover: bool, policy: SendingPolicy) -> bool:
    """Whether this failure ends the channel: permanent, or the last provider's last attempt."""
    exhausted = claim.role_attempts >= policy.attempts_per_provider and not (claim.role == PRIMARY and has_failover)
    return failure.kind == PERMANENT or exhausted


# ---------------------------------------------------------------- 1. claim


_CLAIM_DUE = """UPDATE deliveries SET status = $2, attempts = attempts + 1, role_attempts = role_attempts + 1,
    claimed_until = $3, updated_at = $4 WHERE id = $1 AND status = $5 AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
    RETURNING issuance_id, programme_id, channel, contact, language, provider_role, role_attempts, attempts"""


async def _claim(delivery_id: uuid.UUID, policy: SendingPolicy) -> _Claim | SendOutcome:
    now = utcnow()
    # The usual case, a pending delivery that is due, in one statement (no transaction, one round
    # trip instead of four); anything else (a stale claim, not due, missing) is read first below.
    due = await sql.fetch(_CLAIM_DUE, delivery_id, SENDING, now + policy.lease, now, PENDING)
    if due:
        row = due[0]
        return _Claim(
            delivery_id=delivery_id,
            issuance_id=row["issuance_id"],
            programme_id=row["programme_id"],
            channel=row["channel"],
            contact=row["contact"],
            language=row["language"],
            role=row["provider_role"],
            role_attempts=row["role_attempts"],
            number=row["attempts"],
        )
    async with write_transaction():
        row = await sql.fetchrow("SELECT * FROM deliveries WHERE id = $1", delivery_id)
        if row is None:
            return SendOutcome(MISSING)
        due = row["status"] == PENDING and (row["next_attempt_at"] is None or as_utc(row["next_attempt_at"]) <= now)
        stale = row["status"] == SENDING and row["claimed_until"] is not None and as_utc(row["claimed_until"]) < now
        if not (due or stale):
            return SendOutcome(SKIPPED)
        number = row["attempts"] + 1
        claimed = await sql.fetch(
            """UPDATE deliveries SET status = $4, attempts = $5, role_attempts = role_attempts + 1, claimed_until = $6,
            updated_at = $7 WHERE id = $1 AND status = $2 AND attempts = $3 RETURNING role_attempts""",
            delivery_id,
            row["status"],
            row["attempts"],
            SENDING,
            number,
            now + policy.lease,
            now,
        )
        if not claimed:
            return SendOutcome(SKIPPED)  # another worker claimed it between our read and our update
        if stale:  # the worker that claimed it stopped before recording an outcome
            await _insert_attempt(
                delivery_id,
                row["attempts"],
                row["channel"],
                "unknown",
                row["provider_role"],
                None,
                "transient",
                ABANDONED,
                "the worker stopped before recording an outcome (its claim expired)",
                0,
                as_utc(row["claimed_until"]) - policy.lease,
                None,
            )
    return _Claim(
        delivery_id=delivery_id,
        issuance_id=row["issuance_id"],
        programme_id=row["programme_id"],
        channel=row["channel"],
        contact=row["contact"],
        language=row["language"],
        role=row["provider_role"],
        role_attempts=claimed[0]["role_attempts"],
        number=number,
    )


# ---------------------------------------------------------------- 2. send


async def message_for(delivery_id: uuid.UUID, issuance_id: uuid.UUID, programme_id, channel: str, contact: str, language: str):
    """The delivery's message, rendered from the programme's template (or the default)."""
    summary = await summaries.reward_summary(SYSTEM, issuance_id)
    recipient = await recipients.get_recipient(SYSTEM, recipient_id=summary.issuance.recipient_id)
    issuance = summary.issuance
    value = format_money(issuance.value, issuance.currency) if issuance.currency else f"{issuance.value:,} points"
    variables = {
        "recipient_name": recipient.full_name,
        "offer_name": summary.offer_title or value,
        "partner_name": summary.partner_name or "",
        "value": value,
        "expires_on": summary.expires_on.isoformat() if summary.expires_on else "",
        "claim_url": claim_links.claim_url(claim_links.claim_token(delivery_id)),
        "campaign_name": summary.campaign_name,
    }
    rendered = templates.render(channel, await template_for(programme_id, channel, language), variables)
    return Message(
        delivery_id=delivery_id,
        programme_id=programme_id,
        channel=channel,
        to=contact,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        variables=variables,
    )


@dataclass(frozen=True)
class _Paced:
    wait_seconds: float  # the provider's rate limit has no slot free before this


async def _send(claim: _Claim) -> tuple[str, Outcome] | _Paced:
    try:
        configured = await provider_for(claim.programme_id, claim.channel, claim.role)
    except DecryptionFailed as error:
        return "unknown", permanent("PROVIDER_SECRET", f"the {claim.role} provider's secret cannot be opened: {error}")
    if configured is None:  # a failover removed since: nothing to send through
        return "none", permanent("NO_PROVIDER", f"no {claim.role} provider is configured for {claim.channel}")
    provider: Provider = configured.provider
    if configured.rate_per_second and (wait := await pacing.reserve(configured.provider_id, configured.rate_per_second)) > 0:
        return _Paced(wait)
    try:
        message = await message_for(
            claim.delivery_id, claim.issuance_id, claim.programme_id, claim.channel, claim.contact, claim.language
        )
    except TemplateError as error:
        return provider.name, permanent("TEMPLATE_ERROR", f"the {claim.channel} template cannot be rendered: {error}")
    try:
        return provider.name, await provider.send(message)
    except Exception as error:  # a provider bug must not leave the delivery claimed until its lease ends
        log.exception("deliveries.provider_error", delivery_id=str(claim.delivery_id), provider=provider.name)
        return provider.name, Outcome(failure=Failure("transient", "PROVIDER_ERROR", f"{type(error).__name__}: {error}"))


async def _failover_exists(claim: _Claim) -> bool:
    row = await sql.fetchrow(
        "SELECT id FROM delivery_providers WHERE programme_id = $1 AND channel = $2 AND role = $3",
        claim.programme_id,
        claim.channel,
        FAILOVER,
    )
    return row is not None


# ---------------------------------------------------------------- 3. record


async def _put_back(claim: _Claim, wait_seconds: float) -> SendOutcome:
    """Paced: the delivery waits for the provider's next free slot; no attempt was made or counted."""
    now = utcnow()
    due = now + timedelta(seconds=wait_seconds)
    async with write_transaction():
        put_back = await sql.fetch(
            """UPDATE deliveries SET status = $3, attempts = attempts - 1, role_attempts = role_attempts - 1,
            next_attempt_at = $4, claimed_until = NULL, updated_at = $5 WHERE id = $1 AND status = 'sending' AND attempts = $2
            RETURNING id""",
            claim.delivery_id,
            claim.number,
            PENDING,
            due,
            now,
        )
    if not put_back:
        return SendOutcome(SKIPPED, claim.number)
    return SendOutcome(PACED, claim.number, DueSend(claim.delivery_id, claim.number, due))


async def _record(
    claim: _Claim,
    provider_name: str,
    outcome: Outcome,
    started_at: datetime,
    latency_ms: int,
    has_failover: bool,
    policy: SendingPolicy,
    fallback: NextChannel | None = None,
) -> SendOutcome:
    now = utcnow()
    failure = outcome.failure
    retry: DueSend | None = None
    role, role_attempts = claim.role, claim.role_attempts
    if failure is None:
        status, code, reason = SENT, None, None
    elif failure.kind == PERMANENT:
        status, code, reason = FAILED, failure.code, failure.text
    elif role_attempts < policy.attempts_per_provider:
        status, code, reason = PENDING, failure.code, failure.text
        delay = policy.retry_delay(role_attempts, failure.retry_after)
        retry = DueSend(claim.delivery_id, claim.number + 1, now + timedelta(seconds=delay))
    elif role == PRIMARY and has_failover:
        status, code, reason = PENDING, failure.code, failure.text
        role, role_attempts = FAILOVER, 0
        retry = DueSend(claim.delivery_id, claim.number + 1, now)
    else:
        status, code = FAILED, failure.code
        reason = f"gave up after {claim.number} attempts: {failure.text}"
    channel, contact = claim.channel, claim.contact
    if status == FAILED and fallback is not None:  # the programme's channel fallback: the next channel, from its primary
        status, role, role_attempts = PENDING, PRIMARY, 0
        channel, contact, reason = fallback.channel, fallback.contact, f"{reason} (falling back to {fallback.channel})"
        retry = DueSend(claim.delivery_id, claim.number + 1, now)
    async with write_transaction():
        recorded = await sql.fetch(
            """UPDATE deliveries SET status = $3, provider_role = $4, role_attempts = $5, next_attempt_at = $6,
            claimed_until = NULL, provider = $7, provider_message_id = $8, failure_code = $9, failure_reason = $10,
            sent_at = $11, updated_at = $12, channel = $13, contact = $14 WHERE id = $1 AND status = 'sending' AND attempts = $2
            RETURNING *""",
            claim.delivery_id,
            claim.number,
            status,
            role,
            role_attempts,
            retry.due_at if retry else None,
            provider_name if status == SENT else None,
            outcome.provider_message_id,
            code,
            reason,
            now if status == SENT else None,
            now,
            channel,
            contact,
        )
        if not recorded:  # our claim expired and another worker took over (it records this attempt as abandoned)
            return SendOutcome(SKIPPED, claim.number)
        await _insert_attempt(
            claim.delivery_id,
            claim.number,
            claim.channel,
            provider_name,
            claim.role,
            outcome.provider_message_id,
            "sent" if failure is None else failure.kind,
            failure.code if failure else None,
            failure.text if failure else None,
            latency_ms,
            started_at,
            retry.due_at if retry else None,
        )
        if status == FAILED:
            await audit.record(
                SYSTEM,
                "delivery.failed",
                "delivery",
                claim.delivery_id,
                before={"status": SENDING},
                after={"status": FAILED, "attempts": claim.number, "code": code, "reason": reason},
            )
            failed_event = await outbox.add(
                REWARD_DELIVERY_FAILED, delivery_payload(recorded[0], FAILED, now, code=code, reason=reason)
            )
    if status == FAILED:
        await outbox.ring([failed_event])  # best effort: the relay brings it otherwise
    return SendOutcome(status, claim.number, retry)


_INSERT_ATTEMPT = """INSERT INTO delivery_attempts (id, delivery, number, channel, provider, provider_role, provider_message_id,
    status, error_code, error_text, latency_ms, started_at, retry_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"""


async def _insert_attempt(
    delivery_id, number, channel, provider, role, message_id, status, error_code, error_text, latency_ms, started_at, retry_at
) -> None:
    await sql.fetch(
        _INSERT_ATTEMPT,
        new_id(),
        delivery_id,
        number,
        channel,
        provider,
        role,
        message_id,
        status,
        error_code,
        error_text,
        latency_ms,
        started_at,
        retry_at,
    )


# ---------------------------------------------------------------- what is due


async def due_send(delivery_id: uuid.UUID) -> DueSend | None:
    """The send job a ``delivery.due`` event rings, or None when the delivery is not waiting to be sent."""
    row = await sql.fetchrow("SELECT attempts, status, next_attempt_at FROM deliveries WHERE id = $1", delivery_id)
    if row is None or row["status"] != PENDING:
        return None
    return DueSend(delivery_id, row["attempts"] + 1, as_utc(row["next_attempt_at"]) if row["next_attempt_at"] else None)


async def due_sends(limit: int = 1000) -> list[DueSend]:
    """Deliveries due now (a retry whose job Redis lost) or whose claim expired (a worker killed mid-send)."""
    now = utcnow()
    rows = await sql.fetch(
        """SELECT id, attempts FROM deliveries WHERE (status = $1 AND next_attempt_at <= $2)
        OR (status = $3 AND claimed_until < $2) ORDER BY next_attempt_at LIMIT $4""",
        PENDING,
        now,
        SENDING,
        limit,
    )
    return [DueSend(row["id"], row["attempts"] + 1) for row in rows]
