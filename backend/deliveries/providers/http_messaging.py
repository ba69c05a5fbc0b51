"""SMS and WhatsApp through an HTTP API shaped like Twilio's Messages resource: a form-encoded POST
to ``{base_url}/Accounts/{account_sid}/Messages.json`` with basic auth (account id, token), the
numbers in E.164 (``whatsapp:`` before both for WhatsApp), the delivery id as ``Idempotency-Key``.
The answer's ``sid`` is the provider's message id.

Classification: a timeout, a connection error, any 5xx and a 429 (with its Retry-After) are
transient; a 4xx is permanent, in words from the provider's error code where we know it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from backend.core.http_client import shared_client
from backend.deliveries.providers import WHATSAPP, Message, Outcome, permanent, transient

NAME = "http_messaging"
USER_AGENT = "Mirabelle-Deliveries/1"

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


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds, or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _refusal(response: httpx.Response) -> Outcome:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
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
        return {"To": prefix + message.to, "From": prefix + self.settings.from_number, "Body": message.text}

    async def send(self, message: Message) -> Outcome:
        settings = self.settings
        url = f"{settings.base_url.rstrip('/')}/Accounts/{settings.account_sid}/Messages.json"
        headers = {"Idempotency-Key": str(message.delivery_id), "User-Agent": USER_AGENT}
        try:
            # httpx's timeout applies to each read; this one bounds the whole exchange.
            async with asyncio.timeout(settings.timeout_seconds):
                response = await shared_client().post(
                    url,
                    data=self.form(message),
                    headers=headers,
                    auth=(settings.account_sid, settings.auth_token),
                    timeout=settings.timeout_seconds,
                )
        except (TimeoutError, httpx.TimeoutException):
            return transient("TIMEOUT", f"the provider did not answer within {settings.timeout_seconds:g} s")
        except httpx.HTTPError as error:
            return transient("CONNECTION", f"cannot reach the provider: {type(error).__name__}: {error}".rstrip(": "))
        status = response.status_code
        if 200 <= status < 300:
            try:
                sid = response.json().get("sid")
            except (ValueError, AttributeError):
                sid = None
            return Outcome(provider_message_id=str(sid) if sid else None)
        if status == 429:
            wait = retry_after_seconds(response.headers.get("retry-after"))
            after = f", retry after {wait:g} s" if wait is not None else ""
            return transient("RATE_LIMITED", f"the provider is rate limiting us (429{after})", retry_after=wait)
        if status >= 500 or status == 408:
            return transient(f"HTTP_{status}", f"the provider failed ({status}): {response.text[:300].strip()}")
        return _refusal(response)
