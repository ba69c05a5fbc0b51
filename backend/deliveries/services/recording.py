"""Recording what attempts did: the delivery moves on (sent, retry later, failover, channel fallback,
flagged) and each attempt gets its row; or, for a send that did not happen (the provider's rate
limit, the recipient's quiet hours), the claim is put back without counting an attempt.

Every write is conditional on the claim (``status = 'sending' AND attempts = number``): a worker
whose claim expired and was taken over records nothing. A batch of outcomes is one transaction
(one commit, one multi-row insert of attempts) instead of one per delivery.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.core import audit, outbox, sql
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.deliveries.events import REWARD_DELIVERED, REWARD_DELIVERY_FAILED, delivery_payload
from backend.deliveries.policy import SendingPolicy
from backend.deliveries.providers import DELIVERED, PERMANENT, Outcome, sandbox
from backend.deliveries.queue import DueSend
from backend.deliveries.services.channel_rules import NextChannel
from backend.deliveries.services.claiming import AttemptRow, Claim, insert_attempts
from backend.deliveries.views import FAILED, FAILOVER, PENDING, PRIMARY, SENDING, SENT

SKIPPED = "skipped"  # not this worker's to send: sent, flagged, not due, or claimed by another
PACED = "paced"  # the provider's rate limit had no slot free: due again at ``retry.due_at``, no attempt counted


@dataclass(frozen=True)
class SendOutcome:
    status: str  # sent | pending (a retry is scheduled) | paced | failed (flagged) | skipped | missing
    number: int | None = None
    retry: DueSend | None = None


@dataclass(frozen=True)
class Attempted:
    """An attempt made: what the provider said, and what the sender looked up to decide what follows."""

    claim: Claim
    provider_name: str
    outcome: Outcome
    started_at: datetime
    latency_ms: int
    has_failover: bool = False
    fallback: NextChannel | None = None


@dataclass(frozen=True)
class PutBack:
    """No attempt made: the claim goes back, due again at ``due_at``."""

    claim: Claim
    due_at: datetime


async def record(results: list[Attempted | PutBack], policy: SendingPolicy) -> list[SendOutcome]:
    """Record every result in one transaction; each one's outcome, in order."""
    outcomes: list[SendOutcome] = []
    attempts: list[AttemptRow] = []
    events: list[uuid.UUID] = []
    now = utcnow()
    async with write_transaction():
        for result in results:
            if isinstance(result, PutBack):
                outcomes.append(await _put_back(result, now))
                continue
            outcome, attempt, event = await _record_attempt(result, policy, now)
            outcomes.append(outcome)
            if attempt is not None:
                attempts.append(attempt)
            if event is not None:
                events.append(event)
        await insert_attempts(attempts)
    if events:
        await outbox.ring(events)  # best effort: the relay brings them otherwise
    return outcomes


async def _put_back(result: PutBack, now: datetime) -> SendOutcome:
    claim, due = result.claim, result.due_at
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


@dataclass(frozen=True)
class _Next:
    status: str
    code: str | None
    reason: str | None
    role: str
    role_attempts: int
    channel: str
    contact: str
    retry: DueSend | None


def _next(attempted: Attempted, policy: SendingPolicy, now: datetime) -> _Next:
    """Where the delivery goes after this attempt."""
    claim, failure = attempted.claim, attempted.outcome.failure
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
    elif role == PRIMARY and attempted.has_failover:
        status, code, reason = PENDING, failure.code, failure.text
        role, role_attempts = FAILOVER, 0
        retry = DueSend(claim.delivery_id, claim.number + 1, now)
    else:
        status, code = FAILED, failure.code
        reason = f"gave up after {claim.number} attempts: {failure.text}"
    channel, contact, fallback = claim.channel, claim.contact, attempted.fallback
    if status == FAILED and fallback is not None:  # the programme's channel fallback: the next channel, from its primary
        status, role, role_attempts = PENDING, PRIMARY, 0
        channel, contact, reason = fallback.channel, fallback.contact, f"{reason} (falling back to {fallback.channel})"
        retry = DueSend(claim.delivery_id, claim.number + 1, now)
    return _Next(status, code, reason, role, role_attempts, channel, contact, retry)


_RECORD = """UPDATE deliveries SET status = $3, provider_role = $4, role_attempts = $5, next_attempt_at = $6,
    claimed_until = NULL, provider = $7, provider_message_id = $8, failure_code = $9, failure_reason = $10,
    sent_at = $11, updated_at = $12, channel = $13, contact = $14 WHERE id = $1 AND status = 'sending' AND attempts = $2
    RETURNING {returning}"""


async def _record_attempt(
    attempted: Attempted, policy: SendingPolicy, now: datetime
) -> tuple[SendOutcome, AttemptRow | None, uuid.UUID | None]:
    claim, outcome = attempted.claim, attempted.outcome
    failure = outcome.failure
    after = _next(attempted, policy, now)
    # The whole row only when an integrator is told of a failure; a sent one needs only the guard.
    returning = "*" if after.status == FAILED else "id"
    recorded = await sql.fetch(
        _RECORD.format(returning=returning),
        claim.delivery_id,
        claim.number,
        after.status,
        after.role,
        after.role_attempts,
        after.retry.due_at if after.retry else None,
        attempted.provider_name if after.status == SENT else None,
        outcome.provider_message_id,
        after.code,
        after.reason,
        now if after.status == SENT else None,
        now,
        after.channel,
        after.contact,
    )
    if not recorded:  # our claim expired and another worker took over (it records this attempt as abandoned)
        return SendOutcome(SKIPPED, claim.number), None, None
    attempt = AttemptRow(
        claim.delivery_id,
        claim.number,
        claim.channel,
        attempted.provider_name,
        claim.role,
        outcome.provider_message_id,
        "sent" if failure is None else failure.kind,
        failure.code if failure else None,
        failure.text if failure else None,
        attempted.latency_ms,
        attempted.started_at,
        after.retry.due_at if after.retry else None,
    )
    event = None  # the outbox event telling integrators, rung after commit
    if after.status == SENT and attempted.provider_name == sandbox.NAME:
        event = await _delivered_at_once(claim, now)
    if after.status == FAILED:
        await audit.record(
            SYSTEM,
            "delivery.failed",
            "delivery",
            claim.delivery_id,
            before={"status": SENDING},
            after={"status": FAILED, "attempts": claim.number, "code": after.code, "reason": after.reason},
        )
        event = await outbox.add(
            REWARD_DELIVERY_FAILED, delivery_payload(recorded[0], FAILED, now, code=after.code, reason=after.reason)
        )
    return SendOutcome(after.status, claim.number, after.retry), attempt, event


async def _delivered_at_once(claim: Claim, now: datetime) -> uuid.UUID | None:
    """The sandbox's inbox is the recipient's mailbox: keeping the message is its delivery, so the
    delivery is marked delivered and integrators are told at once, as a provider's "delivered"
    callback would. (An SMTP server's 250 is not this: a relay accepted the message, which may
    still bounce; see README "Delivery".)"""
    rows = await sql.fetch(
        """UPDATE deliveries SET provider_status = $2, provider_status_at = $3 WHERE id = $1 AND provider_status IS NULL
        RETURNING *""",
        claim.delivery_id,
        DELIVERED,
        now,
    )
    return await outbox.add(REWARD_DELIVERED, delivery_payload(rows[0], DELIVERED, now)) if rows else None
