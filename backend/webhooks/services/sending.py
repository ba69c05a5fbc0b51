"""One attempt at a delivery: claim it, POST it signed, record what happened.

Three steps, and the HTTP exchange sits outside any transaction, so a slow receiver never holds a
database lock or connection. The claim is a conditional UPDATE on the delivery's (status, series,
attempts), so of two workers given the same attempt, one sends it and the other skips. A worker
killed mid-attempt leaves a claim that expires (the policy's lease); the attempt is then recorded as
abandoned and the next one made.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from backend.core import audit
from backend.core.authz import SYSTEM
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed
from backend.core.http_client import shared_client
from backend.core.ids import new_id
from backend.webhooks import signing
from backend.webhooks.policy import DEFAULT_POLICY, DeliveryPolicy
from backend.webhooks.queue import DueAttempt
from backend.webhooks.services.endpoints import STOPPED_BY_DISABLE, signing_secret
from backend.webhooks.tables import WebhookAttempt, WebhookDelivery
from backend.webhooks.views import DELIVERING, FAILED, PENDING, SUCCEEDED

USER_AGENT = "Mirabelle-Webhooks/1"
SKIPPED = "skipped"  # not this worker's to send: done, not due, or claimed by another worker
MISSING = "missing"  # no such delivery (yet: its outbox transaction may not have committed)
ABANDONED = "abandoned: the worker stopped before recording an outcome (its claim expired)"


@dataclass(frozen=True)
class AttemptOutcome:
    status: str  # succeeded | pending (a retry is scheduled) | failed (parked) | skipped | missing
    number: int | None = None
    retry: DueAttempt | None = None


@dataclass(frozen=True)
class _Claim:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secret_sealed: str
    event_id: uuid.UUID
    topic: str
    payload: dict
    created_at: datetime
    series: int
    number: int


@dataclass(frozen=True)
class _Exchange:
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None


async def attempt_delivery(delivery_id: uuid.UUID, policy: DeliveryPolicy = DEFAULT_POLICY) -> AttemptOutcome:
    claim = await _claim(delivery_id, policy)
    if isinstance(claim, AttemptOutcome):
        return claim
    exchange = await _send(claim, policy)
    return await _record(claim, exchange, policy)


# ---------------------------------------------------------------- 1. claim


async def _claim(delivery_id: uuid.UUID, policy: DeliveryPolicy) -> _Claim | AttemptOutcome:
    now = utcnow()
    async with write_transaction():
        row = (
            await WebhookDelivery.select(
                *WebhookDelivery.all_columns(),
                WebhookDelivery.endpoint.url.as_alias("url"),
                WebhookDelivery.endpoint.secret_sealed.as_alias("secret_sealed"),
                WebhookDelivery.endpoint.enabled.as_alias("endpoint_enabled"),
            )
            .where(WebhookDelivery.id == delivery_id)
            .first()
        )
        if row is None:
            return AttemptOutcome(MISSING)
        due = row["status"] == PENDING and row["next_attempt_at"] is not None and as_utc(row["next_attempt_at"]) <= now
        stale = row["status"] == DELIVERING and row["claimed_until"] is not None and as_utc(row["claimed_until"]) < now
        if not (due or stale):
            return AttemptOutcome(SKIPPED)
        unchanged = (
            (WebhookDelivery.id == delivery_id)
            & (WebhookDelivery.status == row["status"])
            & (WebhookDelivery.series == row["series"])
            & (WebhookDelivery.attempts == row["attempts"])
        )
        number = row["attempts"] + 1
        if not row["endpoint_enabled"]:
            stop = STOPPED_BY_DISABLE
        elif stale and row["attempts"] >= policy.max_attempts:
            stop = ABANDONED  # the abandoned attempt was the last one
        else:
            stop = None
        if stop:
            values = {
                WebhookDelivery.status: FAILED,
                WebhookDelivery.claimed_until: None,
                WebhookDelivery.next_attempt_at: None,
                WebhookDelivery.last_error: stop,
            }
        else:
            values = {
                WebhookDelivery.status: DELIVERING,
                WebhookDelivery.attempts: number,
                WebhookDelivery.claimed_until: now + policy.lease,
            }
        if not await WebhookDelivery.update(values).where(unchanged).returning(WebhookDelivery.id):
            return AttemptOutcome(SKIPPED)  # another worker claimed it between our read and our update (PostgreSQL)
        if stale:
            await _record_abandoned(row, policy)
        if stop:
            await _audit_parked(delivery_id, row["series"], row["attempts"], None, stop)
            return AttemptOutcome(FAILED, row["attempts"])
    payload = row["payload"]
    return _Claim(
        delivery_id=delivery_id,
        endpoint_id=row["endpoint"],
        url=row["url"],
        secret_sealed=row["secret_sealed"],
        event_id=row["event_id"],
        topic=row["topic"],
        payload=json.loads(payload) if isinstance(payload, str) else payload,
        created_at=as_utc(row["created_at"]),
        series=row["series"],
        number=number,
    )


async def _record_abandoned(row: dict, policy: DeliveryPolicy) -> None:
    await WebhookAttempt.insert(
        WebhookAttempt(
            id=new_id(),
            delivery=row["id"],
            series=row["series"],
            number=row["attempts"],
            started_at=as_utc(row["claimed_until"]) - policy.lease,  # when it was claimed
            duration_ms=0,
            error=ABANDONED,
        )
    )


# ---------------------------------------------------------------- 2. send


def message_body(topic: str, created_at: datetime, payload: dict) -> bytes:
    """Standard Webhooks' payload shape; the same bytes on every attempt."""
    timestamp = created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(
        {"type": topic, "timestamp": timestamp, "data": payload}, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def message_id(event_id: uuid.UUID) -> str:
    """The same on every attempt and replay, so a receiver can drop what it already processed."""
    return f"msg_{event_id.hex}"


async def _send(claim: _Claim, policy: DeliveryPolicy) -> _Exchange:
    started_at, clock = utcnow(), time.monotonic()
    status_code = excerpt = error = None
    try:
        body = message_body(claim.topic, claim.created_at, claim.payload)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signing.signed_headers(
                signing_secret(claim.endpoint_id, claim.secret_sealed), message_id(claim.event_id), int(time.time()), body
            ),
        }
        # httpx's timeout applies to each read; this one bounds the whole exchange (a receiver that
        # trickles bytes cannot hold the worker past its claim).
        async with (
            asyncio.timeout(policy.timeout_seconds),
            shared_client().stream("POST", claim.url, content=body, headers=headers, timeout=policy.timeout_seconds) as response,
        ):
            status_code = response.status_code
            excerpt = await _excerpt(response, policy.response_excerpt_bytes)
    except (TimeoutError, httpx.TimeoutException):
        error = f"timed out after {policy.timeout_seconds:g} s"
    except DecryptionFailed as failure:
        error = f"cannot sign: {failure}"
    except Exception as failure:  # refused, reset, DNS, TLS, a bad URL: each a failed attempt to retry
        error = f"{type(failure).__name__}: {failure}".rstrip(": ")
    if error is None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    return _Exchange(
        started_at=started_at,
        duration_ms=round((time.monotonic() - clock) * 1000),
        status_code=status_code,
        error=error,
        response_excerpt=excerpt,
    )


async def _excerpt(response: httpx.Response, limit: int) -> str:
    """The start of the receiver's answer, for whoever investigates a failure; the rest is not read."""
    collected = b""
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= limit:
            break
    return collected[:limit].decode("utf-8", errors="replace")


# ---------------------------------------------------------------- 3. record


async def _record(claim: _Claim, exchange: _Exchange, policy: DeliveryPolicy) -> AttemptOutcome:
    now = utcnow()
    retry: DueAttempt | None = None
    if exchange.error is None:
        status = SUCCEEDED
    elif claim.number >= policy.max_attempts:
        status = FAILED
    else:
        status = PENDING
        retry = DueAttempt(
            claim.delivery_id, claim.series, claim.number + 1, due_at=now + timedelta(seconds=policy.backoff.delay(claim.number))
        )
    async with write_transaction():
        recorded = (
            await WebhookDelivery.update(
                {
                    WebhookDelivery.status: status,
                    WebhookDelivery.claimed_until: None,
                    WebhookDelivery.next_attempt_at: retry.due_at if retry else None,
                    WebhookDelivery.delivered_at: now if status == SUCCEEDED else None,
                    WebhookDelivery.last_status_code: exchange.status_code,
                    WebhookDelivery.last_error: exchange.error,
                }
            )
            .where(
                (WebhookDelivery.id == claim.delivery_id)
                & (WebhookDelivery.status == DELIVERING)
                & (WebhookDelivery.series == claim.series)
                & (WebhookDelivery.attempts == claim.number)
            )
            .returning(WebhookDelivery.id)
        )
        if not recorded:  # our claim expired and another worker took over (and recorded this attempt as abandoned)
            return AttemptOutcome(SKIPPED, claim.number)
        await WebhookAttempt.insert(
            WebhookAttempt(
                id=new_id(),
                delivery=claim.delivery_id,
                series=claim.series,
                number=claim.number,
                started_at=exchange.started_at,
                duration_ms=exchange.duration_ms,
                status_code=exchange.status_code,
                error=exchange.error,
                response_excerpt=exchange.response_excerpt,
                next_attempt_at=retry.due_at if retry else None,
            )
        )
        if status == FAILED:
            await _audit_parked(claim.delivery_id, claim.series, claim.number, exchange.status_code, exchange.error)
    return AttemptOutcome(status, claim.number, retry)


async def _audit_parked(delivery_id: uuid.UUID, series: int, attempts: int, status_code: int | None, error: str | None) -> None:
    """Parking is the one outcome a person must act on (replay, or fix the receiver): it goes on the
    audit log; every attempt is on record in webhook_attempts."""
    await audit.record(
        SYSTEM,
        "webhook_delivery.failed",
        "webhook_delivery",
        delivery_id,
        before={"status": DELIVERING},
        after={"status": FAILED, "series": series, "attempts": attempts, "last_status_code": status_code, "last_error": error},
    )
