"""Attempts at deliveries: claim them, POST them signed, record what happened.

Three steps, and the HTTP exchanges sit outside any transaction, so a slow receiver never holds a
database lock or connection. A claim is a conditional UPDATE (pending and due, or on the delivery's
status, series and attempts), so of two workers given the same attempt, one sends it and the other
skips. A worker killed mid-attempt leaves a claim that expires (the policy's lease); the attempt is
then recorded as abandoned and the next one made.

Two ways in, one send and one record: the workers' senders take the due deliveries in batches
(:func:`send_due`: one claim statement, concurrent POSTs, one transaction recording them all, as
for reward deliveries), and the delivery job takes one by id (:func:`attempt_delivery`: an expired
claim, which the cron finds).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from backend.core import audit, sql
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
from backend.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint
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


BATCH = 100  # deliveries claimed at once: a round trip and a commit shared by this many
# POSTs in flight to one endpoint from one batch: enough to hide a receiver's latency, few enough
# not to flood it (and httpcore's pool scan grows with the connections open).
PER_ENDPOINT = 8


async def attempt_delivery(delivery_id: uuid.UUID, policy: DeliveryPolicy = DEFAULT_POLICY) -> AttemptOutcome:
    claim = await _claim(delivery_id, policy)
    if isinstance(claim, AttemptOutcome):
        return claim
    [outcome] = await _record([(claim, await _send(claim, policy))], policy)
    return outcome


async def send_due(
    policy: DeliveryPolicy = DEFAULT_POLICY, batch: int = BATCH, per_endpoint: int = PER_ENDPOINT
) -> list[AttemptOutcome]:
    """Claim up to ``batch`` due deliveries, POST them and record what happened; [] when none was due."""
    claims = await _claim_due(batch, policy)
    if not claims:
        return []
    gates: dict[uuid.UUID, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_endpoint))

    async def one(claim: _Claim) -> _Exchange:
        async with gates[claim.endpoint_id]:
            return await _send(claim, policy)

    exchanges = await asyncio.gather(*(one(claim) for claim in claims))
    return await _record(list(zip(claims, exchanges, strict=True)), policy)


# ---------------------------------------------------------------- 1. claim

# Pending and due, for an enabled endpoint (a disabled one's deliveries are stopped when it is
# disabled; the delivery job stops any that raced it). PostgreSQL's ``SKIP LOCKED`` lets two
# workers claim at once without queueing on each other; SQLite has one writer, already exclusive.
_CLAIM = "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, claimed_until = $2 WHERE id IN "
_DUE = (
    "SELECT id FROM webhook_deliveries WHERE status = $3 AND next_attempt_at <= $4"
    " AND endpoint IN (SELECT id FROM webhook_endpoints WHERE enabled = $5) ORDER BY next_attempt_at LIMIT $6"
)
_CLAIMED = " RETURNING id, endpoint, event_id, topic, payload, created_at, series, attempts"
_CLAIM_DUE_SQLITE = _CLAIM + "(" + _DUE + ")" + _CLAIMED
_CLAIM_DUE_POSTGRES = _CLAIM + "(" + _DUE + " FOR UPDATE SKIP LOCKED)" + _CLAIMED


async def _claim_due(limit: int, policy: DeliveryPolicy) -> list[_Claim]:
    now = utcnow()
    statement = _CLAIM_DUE_SQLITE if sql.is_sqlite() else _CLAIM_DUE_POSTGRES
    rows = await sql.fetch(statement, DELIVERING, now + policy.lease, PENDING, now, True, limit)
    if not rows:
        return []
    endpoints = {
        row["id"]: row
        for row in await WebhookEndpoint.select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.secret_sealed).where(
            WebhookEndpoint.id.is_in(list({row["endpoint"] for row in rows}))
        )
    }
    return [_claim_of(row, endpoints[row["endpoint"]], row["attempts"]) for row in rows]


def _claim_of(row, endpoint, number: int) -> _Claim:
    payload = row["payload"]
    return _Claim(
        delivery_id=row["id"],
        endpoint_id=row["endpoint"],
        url=endpoint["url"],
        secret_sealed=endpoint["secret_sealed"],
        event_id=row["event_id"],
        topic=row["topic"],
        payload=json.loads(payload) if isinstance(payload, str) else payload,
        created_at=as_utc(row["created_at"]),
        series=row["series"],
        number=number,
    )


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
    return _claim_of(row, row, number)


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


_RECORD = """UPDATE webhook_deliveries SET status = $1, claimed_until = NULL, next_attempt_at = $2, delivered_at = $3,
    last_status_code = $4, last_error = $5 WHERE id = $6 AND status = $7 AND series = $8 AND attempts = $9 RETURNING id"""


async def _record(sent: list[tuple[_Claim, _Exchange]], policy: DeliveryPolicy) -> list[AttemptOutcome]:
    """Record every attempt in one transaction (one commit, one insert of the attempts); each one's
    outcome, in order."""
    now = utcnow()
    outcomes: list[AttemptOutcome] = []
    attempts: list[WebhookAttempt] = []
    async with write_transaction():
        for claim, exchange in sent:
            retry: DueAttempt | None = None
            if exchange.error is None:
                status = SUCCEEDED
            elif claim.number >= policy.max_attempts:
                status = FAILED
            else:
                status = PENDING
                due_at = now + timedelta(seconds=policy.backoff.delay(claim.number))
                retry = DueAttempt(claim.delivery_id, claim.series, claim.number + 1, due_at=due_at)
            recorded = await sql.fetch(
                _RECORD,
                status,
                retry.due_at if retry else None,
                now if status == SUCCEEDED else None,
                exchange.status_code,
                exchange.error,
                claim.delivery_id,
                DELIVERING,
                claim.series,
                claim.number,
            )
            if not recorded:  # our claim expired and another worker took over (and recorded this attempt as abandoned)
                outcomes.append(AttemptOutcome(SKIPPED, claim.number))
                continue
            attempts.append(
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
            outcomes.append(AttemptOutcome(status, claim.number, retry))
        if attempts:
            await WebhookAttempt.insert(*attempts)
    return outcomes


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
