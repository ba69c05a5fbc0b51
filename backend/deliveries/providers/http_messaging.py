"""SMS and WhatsApp through an HTTP API shaped like Twilio's Messages resource: a form-encoded POST
to ``{base_url}/Accounts/{account_sid}/Messages.json`` with basic auth (account id, token), the
numbers in E.164 (``whatsapp:`` before both for WhatsApp), the delivery id as ``Idempotency-Key``.
The answer's ``sid`` is the provider's message id.

Status callbacks: a form POST with ``MessageSid`` and ``MessageStatus``, signed in
``X-Twilio-Signature``: base64 of the HMAC-SHA1, under the auth token, of the full URL followed by
each form parameter's name and value, sorted by name.

Classification: a timeout, a connection error, any 5xx and a 429 (with its Retry-After) are
transient; a 4xx is permanent, in words from the provider's error code where we know it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import httpx

from backend.deliveries.providers import (
    DELIVERED,
    FAILED_STATUS,
    QUEUED,
    READ,
    SENT_STATUS,
    UNDELIVERABLE,
    WHATSAPP,
    Message,
    Outcome,
    StatusReport,
    permanent,
)
from backend.deliveries.providers.http_exchange import json_object, post, transient_status

NAME = "http_messaging"
# The provider's error codes a person acts on, in words (Twilio's numbering).
KNOWN_CODES = {
    21211: ("INVALID_NUMBER", "the phone number is not valid"),
    21614: ("NOT_MOBILE", "the phone number is not a mobile number"),
    21610: ("BLOCKED", "the recipient has opted out (replied STOP): messages to them are blocked"),
    21408: ("REGION_NOT_ENABLED", "sending to this country is not enabled on the provider account"),
    63003: ("NOT_ON_WHATSAPP", "the number is not on WhatsApp"),
    63024: ("NOT_ON_WHATSAPP", "the number is not on WhatsApp"),
    30007: ("BLOCKED", "the carrier blocked the message as spam"),
}


@dataclass(frozen=True)
class MessagingSettings:
    base_url: str
    account_sid: str
    from_number: str  # E.164
    auth_token: str = ""
    timeout_seconds: float = 10.0
    status_callback_url: str = ""  # where the provider reports each status (our signed callback)


def _refusal(response: httpx.Response) -> Outcome:
    body = json_object(response)
    code, said = body.get("code"), str(body.get("message") or response.text[:300]).strip()
    known = KNOWN_CODES.get(code) if isinstance(code, int) else None
    if known is not None:
        return permanent(known[0], f"{known[1]} (provider code {code}: {said})")
    return permanent(f"HTTP_{response.status_code}", f"the provider refused the message ({response.status_code}: {said})")


class HttpMessagingProvider:
    name = NAME

    def __init__(self, settings: MessagingSettings):
        self.settings = settings

    def form(self, message: Message) -> dict[str, str]:
        prefix = "whatsapp:" if message.channel == WHATSAPP else ""
        form = {"To": prefix + message.to, "From": prefix + self.settings.from_number, "Body": message.text}
        if self.settings.status_callback_url:
            form["StatusCallback"] = self.settings.status_callback_url
        return form

    async def send(self, message: Message) -> Outcome:
        settings = self.settings
        url = f"{settings.base_url.rstrip('/')}/Accounts/{settings.account_sid}/Messages.json"
        response = await post(
            url,
            settings.timeout_seconds,
            data=self.form(message),
            headers={"Idempotency-Key": str(message.delivery_id)},
            auth=(settings.account_sid, settings.auth_token),
        )
        if isinstance(response, Outcome):
            return response
        if 200 <= response.status_code < 300:
            sid = json_object(response).get("sid")
            return Outcome(provider_message_id=str(sid) if sid else None)
        return transient_status(response) or _refusal(response)


# ---------------------------------------------------------------- status callbacks

# The provider's MessageStatus values, as ours (receiving, received, canceled… are not ours to track).
STATUSES = {
    "accepted": QUEUED,
    "scheduled": QUEUED,
    "queued": QUEUED,
    "sending": QUEUED,  # on its way to the carrier; "sent" is the carrier's acceptance
    "sent": SENT_STATUS,
    "delivered": DELIVERED,
    "read": READ,
    "undelivered": UNDELIVERABLE,
    "failed": FAILED_STATUS,
}


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def verify_signature(auth_token: str, url: str, params: dict[str, str], header: str | None) -> bool:
    return bool(auth_token and header) and hmac.compare_digest(signature(auth_token, url, params), header.strip())


def status_reports(params: dict[str, str], idempotency_token: str | None) -> list[StatusReport]:
    """The status a verified callback reports. Its id: the provider's idempotency token when it
    sends one, else the message and status (one report of each status per message)."""
    sid, status = params.get("MessageSid") or params.get("SmsSid"), (params.get("MessageStatus") or "").lower()
    if not sid or status not in STATUSES:
        return []
    code = params.get("ErrorCode") or None
    reason = None
    if STATUSES[status] in (UNDELIVERABLE, FAILED_STATUS):
        known = KNOWN_CODES.get(int(code)) if code and code.isdigit() else None
        words = known[1] if known else "the provider could not deliver the message"
        reason = f"{words} (provider status {status}" + (f", code {code})" if code else ")")
    return [
        StatusReport(
            provider_message_id=sid,
            status=STATUSES[status],
            callback_id=idempotency_token or f"{sid}:{status}",
            error_code=(KNOWN_CODES[int(code)][0] if code and code.isdigit() and int(code) in KNOWN_CODES else code),
            reason=reason,
        )
    ]
