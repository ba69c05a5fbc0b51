"""A company's own gateway, reached by a webhook signed the Standard Webhooks way (the
``standardwebhooks`` package): a JSON POST of the rendered message to the gateway's URL with
``webhook-id`` (the delivery id: the spec's idempotency key), ``webhook-timestamp`` and
``webhook-signature`` (v1, HMAC-SHA256 under the shared ``whsec_`` secret). The gateway answers 2xx,
optionally with ``{"id": …}`` (its message id; else the delivery id stands for it).

Classification: timeouts, connection errors, 408, 429 (Retry-After) and 5xx are transient; a 4xx
is permanent, with the gateway's ``code`` kept when it is one of ours (INVALID_NUMBER, HARD_BOUNCE, …).

Status callbacks come back signed with the same secret and the same headers; they are refused
outside the spec's 5-minute tolerance. Body: ``{"type": "message.status", "data": {"message_id",
"status", "reason"?, "error_code"?}}`` with ``status`` one of ours (queued … undeliverable)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from backend.core.clock import utcnow
from backend.deliveries.providers import FAILURE_STATUSES, STATUSES, Message, Outcome, StatusReport, permanent
from backend.deliveries.providers.http_exchange import json_object, post, transient_status

NAME = "signed_webhook"
MESSAGE_TYPE, STATUS_TYPE = "reward.message", "message.status"
# A gateway may name its refusal with one of our codes; any other becomes HTTP_4xx.
GATEWAY_CODES = ("INVALID_NUMBER", "NOT_MOBILE", "HARD_BOUNCE", "NOT_ON_WHATSAPP", "BLOCKED")


@dataclass(frozen=True)
class SignedWebhookSettings:
    url: str
    secret: str = ""  # whsec_…
    timeout_seconds: float = 10.0
    status_callback_url: str = ""  # where the gateway reports each status (our signed callback)


def secret_problem(secret: str) -> str | None:
    """Why a signing secret cannot be used, or None."""
    try:
        Webhook(secret)
    except Exception:  # noqa: BLE001 - the library raises several kinds for a bad secret
        return "the signing secret is a whsec_ secret: 'whsec_' and base64 of at least 24 random bytes"
    raw = secret.removeprefix("whsec_")
    return None if len(raw) >= 32 else "the signing secret is too short: at least 24 random bytes, base64"


def signed_headers(secret: str, message_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    at = at or utcnow()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "content-type": "application/json",
    }


class SignedWebhookProvider:
    name = NAME

    def __init__(self, settings: SignedWebhookSettings):
        self.settings = settings

    def body(self, message: Message) -> str:
        data = {
            "delivery_id": str(message.delivery_id),
            "channel": message.channel,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "variables": message.variables,
            "status_callback_url": self.settings.status_callback_url,
        }
        return json.dumps({"type": MESSAGE_TYPE, "timestamp": utcnow().isoformat(), "data": data}, separators=(",", ":"))

    async def send(self, message: Message) -> Outcome:
        settings, body = self.settings, self.body(message)
        headers = signed_headers(settings.secret, str(message.delivery_id), body)
        response = await post(settings.url, settings.timeout_seconds, content=body.encode(), headers=headers)
        if isinstance(response, Outcome):
            return response
        answer = json_object(response)
        if 200 <= response.status_code < 300:
            return Outcome(provider_message_id=str(answer.get("id") or message.delivery_id))
        return transient_status(response) or _refusal(response, answer)


def _refusal(response: httpx.Response, answer: dict) -> Outcome:
    said = str(answer.get("message") or response.text[:300]).strip()[:300]
    code = answer.get("code")
    if code in GATEWAY_CODES:
        return permanent(code, f"the gateway refused the message ({code}: {said})")
    return permanent(f"HTTP_{response.status_code}", f"the gateway refused the message ({response.status_code}: {said})")


# ---------------------------------------------------------------- status callbacks


def verified_body(secret: str, raw_body: bytes, headers: dict[str, str]) -> dict | None:
    """The callback's JSON when its signature is good and its timestamp within 5 minutes; else None."""
    try:
        body = Webhook(secret).verify(raw_body, dict(headers))
    except (WebhookVerificationError, ValueError, UnicodeDecodeError, TypeError):
        return None
    return body if isinstance(body, dict) else None


def status_reports(callback_id: str, body: dict) -> list[StatusReport]:
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    status, message_id = data.get("status"), data.get("message_id")
    if body.get("type") != STATUS_TYPE or status not in STATUSES or not message_id:
        return []
    occurred = data.get("timestamp")
    try:
        occurred_at = datetime.fromisoformat(occurred).astimezone(UTC) if isinstance(occurred, str) else None
    except ValueError:
        occurred_at = None
    reason = str(data.get("reason") or "").strip()[:2000] or None
    if status in FAILURE_STATUSES and reason is None:
        reason = f"the gateway reported the message {status}"
    code = data.get("error_code")
    return [
        StatusReport(
            provider_message_id=str(message_id),
            status=status,
            callback_id=callback_id,
            occurred_at=occurred_at,
            error_code=str(code)[:40] if code else None,
            reason=reason,
        )
    ]
