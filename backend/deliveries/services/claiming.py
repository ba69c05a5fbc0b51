"""Claiming deliveries to send: one by id (a send job, a test), or the due ones in a batch (the sender).

A claim is a conditional UPDATE: ``pending`` and due → ``sending`` with ``attempts + 1`` and a
lease (``claimed_until``). Of two workers given the same delivery one claims it and the other
skips; a delivery already sent or flagged is never claimed again. A worker killed mid-send leaves
its claim to expire; :func:`claim_one` then takes it over and records the lost attempt as
abandoned (the cron rings those).

The batch claim is one statement: on PostgreSQL its subselect says ``FOR UPDATE SKIP LOCKED``, so
two workers claiming at once take different deliveries instead of queueing on each other's locks;
SQLite has one writer at a time, so the plain subselect is already exclusive.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.ids import new_id
from backend.deliveries.policy import SendingPolicy
from backend.deliveries.views import PENDING, SENDING

ABANDONED = "ABANDONED"


@dataclass(frozen=True)
class Claim:
    delivery_id: uuid.UUID
    issuance_id: uuid.UUID
    programme_id: uuid.UUID
    channel: str
    contact: str
    language: str
    role: str
    role_attempts: int  # including this one
    number: int


@dataclass(frozen=True)
class Unclaimed:
    status: str  # skipped | missing


_RETURNING = "RETURNING id, issuance_id, programme_id, channel, contact, language, provider_role, role_attempts, attempts"

_CLAIM_DUE = (
    "UPDATE deliveries SET status = $2, attempts = attempts + 1, role_attempts = role_attempts + 1, claimed_until = $3,"
    " updated_at = $4 WHERE id = $1 AND status = $5 AND (next_attempt_at IS NULL OR next_attempt_at <= $4) " + _RETURNING
)

_CLAIM_BATCH = (
    "UPDATE deliveries SET status = $1, attempts = attempts + 1, role_attempts = role_attempts + 1, claimed_until = $2,"
    " updated_at = $3 WHERE id IN "
)
_DUE = (
    "SELECT id FROM deliveries WHERE status = $4 AND (next_attempt_at IS NULL OR next_attempt_at <= $3)"
    " ORDER BY next_attempt_at LIMIT $5"
)
_CLAIM_BATCH_SQLITE = _CLAIM_BATCH + "(" + _DUE + ") " + _RETURNING
_CLAIM_BATCH_POSTGRES = _CLAIM_BATCH + "(" + _DUE + " FOR UPDATE SKIP LOCKED) " + _RETURNING

_TAKE_OVER = (
    "UPDATE deliveries SET status = $4, attempts = $5, role_attempts = role_attempts + 1, claimed_until = $6,"
    " updated_at = $7 WHERE id = $1 AND status = $2 AND attempts = $3 " + _RETURNING
)


def _claim_of(row) -> Claim:
    return Claim(
        delivery_id=row["id"],
        issuance_id=row["issuance_id"],
        programme_id=row["programme_id"],
        channel=row["channel"],
        contact=row["contact"],
        language=row["language"],
        role=row["provider_role"],
        role_attempts=row["role_attempts"],
        number=row["attempts"],
    )


async def claim_due(limit: int, policy: SendingPolicy) -> list[Claim]:
    """Up to ``limit`` pending deliveries that are due, claimed in one statement (oldest due first)."""
    now = utcnow()
    statement = _CLAIM_BATCH_SQLITE if sql.is_sqlite() else _CLAIM_BATCH_POSTGRES
    rows = await sql.fetch(statement, SENDING, now + policy.lease, now, PENDING, limit)
    return [_claim_of(row) for row in rows]


async def claim_one(delivery_id: uuid.UUID, policy: SendingPolicy) -> Claim | Unclaimed:
    now = utcnow()
    # The usual case, a pending delivery that is due, in one statement (no transaction, one round
    # trip instead of four); anything else (a stale claim, not due, missing) is read first below.
    due = await sql.fetch(_CLAIM_DUE, delivery_id, SENDING, now + policy.lease, now, PENDING)
    if due:
        return _claim_of(due[0])
    async with write_transaction():
        row = await sql.fetchrow("SELECT * FROM deliveries WHERE id = $1", delivery_id)
        if row is None:
            return Unclaimed("missing")
        due = row["status"] == PENDING and (row["next_attempt_at"] is None or as_utc(row["next_attempt_at"]) <= now)
        stale = row["status"] == SENDING and row["claimed_until"] is not None and as_utc(row["claimed_until"]) < now
        if not (due or stale):
            return Unclaimed("skipped")
        claimed = await sql.fetch(
            _TAKE_OVER,
            delivery_id,
            row["status"],
            row["attempts"],
            SENDING,
            row["attempts"] + 1,
            now + policy.lease,
            now,
        )
        if not claimed:
            return Unclaimed("skipped")  # another worker claimed it between our read and our update
        if stale:  # the worker that claimed it stopped before recording an outcome
            await insert_attempts(
                [
                    AttemptRow(
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
                ]
            )
    return _claim_of(claimed[0])


@dataclass(frozen=True)
class AttemptRow:
    """One row of delivery_attempts: what one attempt did."""

    delivery_id: uuid.UUID
    number: int
    channel: str
    provider: str
    role: str
    message_id: str | None
    status: str  # sent | transient | permanent
    error_code: str | None
    error_text: str | None
    latency_ms: int
    started_at: datetime
    retry_at: datetime | None


_ATTEMPT_COLUMNS = """INSERT INTO delivery_attempts (id, delivery, number, channel, provider, provider_role, provider_message_id,
    status, error_code, error_text, latency_ms, started_at, retry_at) VALUES """
_ATTEMPT_ARITY = 13
_ATTEMPTS_PER_INSERT = 500  # well under SQLite's and PostgreSQL's limits on bound values


async def insert_attempts(attempts: list[AttemptRow]) -> None:
    """The attempts' rows, a multi-row INSERT per few hundred (in the caller's transaction, if any)."""
    for start in range(0, len(attempts), _ATTEMPTS_PER_INSERT):
        chunk = attempts[start : start + _ATTEMPTS_PER_INSERT]
        groups = (
            "(" + ", ".join(f"${n * _ATTEMPT_ARITY + k}" for k in range(1, _ATTEMPT_ARITY + 1)) + ")" for n in range(len(chunk))
        )
        values = [
            value
            for attempt in chunk
            for value in (
                new_id(),
                attempt.delivery_id,
                attempt.number,
                attempt.channel,
                attempt.provider,
                attempt.role,
                attempt.message_id,
                attempt.status,
                attempt.error_code,
                attempt.error_text,
                attempt.latency_ms,
                attempt.started_at,
                attempt.retry_at,
            )
        ]
        await sql.fetch(_ATTEMPT_COLUMNS + ", ".join(groups), *values)
