"""Providers' status callbacks: verified first (each kind's own signature, under the secret sealed
with the provider row the URL names), then each status moves its delivery forward, never back.

- A forged callback (bad or missing signature, a Standard Webhook outside its 5-minute tolerance)
  raises :class:`CallbackRefused` and changes nothing.
- A replay (a callback id already received for this provider: one unique receipt row each) changes
  nothing either; it is answered as accepted, so the provider stops sending it. Receipts are kept
  ``RECEIPT_DAYS`` (pruned by the worker's cron, ``prune_receipts``).
- Where the provider signs the time of a status, a status outside ``SIGNED_TIME_WINDOW`` (older
  than the provider's own retry horizon, or from the future beyond clock skew) is stale: counted,
  changes nothing, and needs no receipt. Meta's WhatsApp statuses carry a signed ``timestamp``
  (Meta retries a webhook for up to 7 days); Standard Webhooks' ``webhook-timestamp`` is checked
  with its 5-minute tolerance before this. The Twilio-shaped callback signs no time (its signature
  covers the URL and the form fields only), so for it the receipt alone guards against replays,
  which is why receipts outlive every signed window.
- Statuses rank queued < sent < delivered < read; bounced, failed and undeliverable end a message
  that was not yet delivered. A status at or below the current one (a late "sent" after
  "delivered") is kept as an event but moves nothing. A failure flags the delivery failed, with the
  reason in words (audited); ``reward.delivered`` / ``reward.delivery_failed`` outbox events are
  written in the same transaction as the change.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs

import structlog

from backend.core import audit, outbox, sql
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed
from backend.core.errors import NotFound
from backend.core.ids import new_id
from backend.deliveries.events import REWARD_DELIVERED, REWARD_DELIVERY_FAILED, delivery_payload
from backend.deliveries.providers import (
    DELIVERED,
    FAILURE_STATUSES,
    QUEUED,
    READ,
    SENT_STATUS,
    StatusReport,
    http_messaging,
    signed_webhook,
    whatsapp_cloud,
)
from backend.deliveries.services.providers import CallbackKeys, callback_keys
from backend.deliveries.views import FAILED, SENT

log = structlog.get_logger(__name__)

_RANK = {QUEUED: 1, SENT_STATUS: 2, DELIVERED: 3, READ: 4}


class _UnknownMessage(Exception):
    """Rolls the receipt back: the provider's retry (ours may not have recorded its id yet) is no replay."""


class CallbackRefused(Exception):
    """Not verified (403) or not a provider that calls back (404); nothing was changed."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class CallbackRequest:
    url: str  # the full URL the provider called (scheme, host, path, query): Twilio signs it
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class CallbackResult:
    applied: int = 0  # statuses that moved a delivery forward
    kept: int = 0  # statuses kept as events without moving anything (late or unknown message)
    replayed: int = 0  # callbacks received before: nothing done
    stale: int = 0  # statuses whose signed time is outside the window: nothing done


def moves_forward(current: str | None, new: str) -> bool:
    """Whether ``new`` may follow ``current``: forward only, and nothing after a failure."""
    if current in FAILURE_STATUSES:
        return False
    if new in FAILURE_STATUSES:
        return _RANK.get(current, 0) < _RANK[DELIVERED]
    return _RANK[new] > _RANK.get(current, 0)


def _earlier(new: str) -> list[str]:
    """The statuses a delivery may be in for ``new`` to apply (besides none yet)."""
    return [status for status in _RANK if moves_forward(status, new)]


async def _keys(provider_id: uuid.UUID) -> CallbackKeys:
    try:
        return await callback_keys(provider_id)
    except NotFound:
        raise CallbackRefused(404, "no such provider") from None
    except DecryptionFailed:
        raise CallbackRefused(403, "the provider's signing secret cannot be opened with the current keys") from None


def verified_reports(keys: CallbackKeys, request: CallbackRequest) -> list[StatusReport]:
    """The statuses in a callback whose signature holds; CallbackRefused otherwise."""
    forged = CallbackRefused(403, "the callback's signature does not verify")
    if keys.kind == http_messaging.NAME:
        params = {
            name: values[-1] for name, values in parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True).items()
        }
        if not http_messaging.verify_signature(
            keys.signing_secret, request.url, params, request.headers.get("x-twilio-signature")
        ):
            raise forged
        return http_messaging.status_reports(params, request.headers.get("i-twilio-idempotency-token"))
    if keys.kind == whatsapp_cloud.NAME:
        if not whatsapp_cloud.verify_signature(keys.signing_secret, request.body, request.headers.get("x-hub-signature-256")):
            raise forged
        try:
            body = json.loads(request.body)
        except ValueError:
            raise CallbackRefused(400, "the callback's body is not JSON") from None
        return whatsapp_cloud.status_reports(body if isinstance(body, dict) else {})
    if keys.kind == signed_webhook.NAME:
        body = signed_webhook.verified_body(keys.signing_secret, request.body, request.headers)
        if body is None:
            raise forged
        return signed_webhook.status_reports(request.headers["webhook-id"], body)
    raise CallbackRefused(404, f"a {keys.kind} provider sends no status callbacks")


async def receive_callback(provider_id: uuid.UUID, request: CallbackRequest) -> CallbackResult:
    """Verify a provider's callback, then apply each status it reports (see the module's docstring)."""
    keys = await _keys(provider_id)
    reports = verified_reports(keys, request)
    applied = kept = replayed = stale = 0
    events: list[uuid.UUID] = []
    for report in reports:
        if keys.kind == whatsapp_cloud.NAME and not within_signed_window(report.occurred_at, utcnow()):
            stale += 1
            continue
        outcome, event_id = await _apply(keys, report)
        applied, kept, replayed = applied + (outcome == "applied"), kept + (outcome == "kept"), replayed + (outcome == "replayed")
        events += [event_id] if event_id else []
    if events:
        await outbox.ring(events)
    return CallbackResult(applied, kept, replayed, stale)


SIGNED_TIME_WINDOW = timedelta(days=7)  # Meta retries an unanswered webhook for up to 7 days
CLOCK_SKEW = timedelta(minutes=5)
RECEIPT_DAYS = 30  # longer than every signed window: a replay inside one always finds its receipt


def within_signed_window(occurred_at: datetime | None, now: datetime) -> bool:
    """Whether a status's signed time is recent enough to act on (no time: the receipt decides)."""
    return occurred_at is None or now - SIGNED_TIME_WINDOW <= occurred_at <= now + CLOCK_SKEW


async def prune_receipts(now: datetime | None = None, batch: int = 5000) -> int:
    """Delete replay receipts older than ``RECEIPT_DAYS``, a batch per statement; returns how many."""
    before = (now or utcnow()) - timedelta(days=RECEIPT_DAYS)
    pruned = 0
    while True:
        rows = await sql.fetch(
            """DELETE FROM delivery_callback_receipts WHERE id IN
            (SELECT id FROM delivery_callback_receipts WHERE received_at < $1 LIMIT $2) RETURNING id""",
            before,
            batch,
        )
        pruned += len(rows)
        if len(rows) < batch:
            return pruned


async def verify_subscription(provider_id: uuid.UUID, mode: str | None, token: str | None, challenge: str | None) -> str:
    """Meta's handshake: the challenge back when the verify token matches; CallbackRefused otherwise."""
    keys = await _keys(provider_id)
    expected = str(keys.settings.get("verify_token") or "")
    if keys.kind != whatsapp_cloud.NAME or mode != "subscribe" or not expected or token != expected or not challenge:
        raise CallbackRefused(403, "the verify token does not match")
    return challenge


_RECEIPT = """INSERT INTO delivery_callback_receipts (id, receipt_key, received_at) VALUES ($1, $2, $3)
ON CONFLICT (receipt_key) DO NOTHING RETURNING id"""
_EVENT = """INSERT INTO delivery_status_events (id, delivery, provider_id, status, applied, error_code, reason, occurred_at,
received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"""


async def _apply(keys: CallbackKeys, report: StatusReport) -> tuple[str, uuid.UUID | None]:
    try:
        return await _apply_once(keys, report)
    except _UnknownMessage:
        log.info("deliveries.callback_unknown_message", provider_id=str(keys.provider_id), message=report.provider_message_id)
        return "kept", None


async def _apply_once(keys: CallbackKeys, report: StatusReport) -> tuple[str, uuid.UUID | None]:
    now = utcnow()
    async with write_transaction():
        receipt = await sql.fetch(_RECEIPT, new_id(), f"{keys.provider_id}:{report.callback_id}"[:300], now)
        if not receipt:
            return "replayed", None
        row = await sql.fetchrow(
            "SELECT * FROM deliveries WHERE provider_message_id = $1 AND programme_id = $2",
            report.provider_message_id,
            keys.programme_id,
        )
        if row is None:
            raise _UnknownMessage
        earlier = _earlier(report.status)
        # Only placeholders are formatted in: one per status, the statuses themselves are bound.
        earlier_ones = f" OR provider_status IN ({', '.join(f'${i}' for i in range(4, 4 + len(earlier)))})" if earlier else ""
        moved = await sql.fetch(
            f"""UPDATE deliveries SET provider_status = $2, provider_status_at = $3 WHERE id = $1
            AND (provider_status IS NULL{earlier_ones}) RETURNING id""",
            row["id"],
            report.status,
            now,
            *earlier,
        )
        occurred_at = report.occurred_at or now
        await sql.fetch(
            _EVENT,
            new_id(),
            row["id"],
            keys.provider_id,
            report.status,
            bool(moved),
            report.error_code,
            report.reason,
            occurred_at,
            now,
        )
        if not moved:
            return "kept", None
        return "applied", await _consequences(row, report, occurred_at, now)


async def _consequences(row, report: StatusReport, occurred_at: datetime, now: datetime) -> uuid.UUID | None:
    """What a status that moved a delivery forward sets off: a failure flags it; delivered (or read
    before delivered was heard) tells integrators."""
    payload = delivery_payload(row, report.status, occurred_at)
    if report.status in FAILURE_STATUSES:
        reason = report.reason or f"the provider reported the message {report.status}"
        code = (report.error_code or report.status.upper())[:40]
        flagged = await sql.fetch(
            """UPDATE deliveries SET status = $2, failure_code = $3, failure_reason = $4, updated_at = $5
            WHERE id = $1 AND status = $6 RETURNING id""",
            row["id"],
            FAILED,
            code,
            reason,
            now,
            SENT,
        )
        if not flagged:
            return None
        await audit.record(
            SYSTEM,
            "delivery.failed",
            "delivery",
            row["id"],
            before={"status": SENT, "provider_status": row["provider_status"]},
            after={"status": FAILED, "provider_status": report.status, "code": code, "reason": reason},
        )
        return await outbox.add(REWARD_DELIVERY_FAILED, payload | {"code": code, "reason": reason})
    if report.status in (DELIVERED, READ) and _RANK.get(row["provider_status"], 0) < _RANK[DELIVERED]:
        return await outbox.add(REWARD_DELIVERED, payload)
    return None
