"""WhatsApp through an API shaped like Meta's WhatsApp Cloud API: a JSON POST to
``{base_url}/{api_version}/{phone_number_id}/messages`` with a Bearer token, sending an approved
template (its name, language and body parameters: our template variables, in the order the
programme set) rather than free text, which WhatsApp only allows within 24 h of the recipient's
own message. The answer's ``messages[0].id`` (a ``wamid``) is the provider's message id.

A notice (an agent's reply, a replacement code) is not a reward: it goes through the programme's
notice template when one is set (one body parameter, the notice's text), else as free text, which
Meta takes within the 24 h window and refuses outside it (``OUTSIDE_WINDOW``, said on the notice).

Classification: Meta answers most refusals with HTTP 400 and says what it meant in
``error.code``, so the code decides first (rate limits and Meta's own trouble are transient, a
number not on WhatsApp or a template problem permanent); then the status, as for any HTTP provider.

Status callbacks: ``X-Hub-Signature-256`` is ``sha256=`` + the hex HMAC-SHA256 of the raw body
under the app secret; Meta checks the endpoint first with a GET carrying ``hub.verify_token``."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from backend.deliveries.providers import (
    DELIVERED,
    FAILED_STATUS,
    READ,
    SENT_STATUS,
    Message,
    Outcome,
    StatusReport,
    permanent,
    transient,
)
from backend.deliveries.providers.http_exchange import json_object, post, retry_after_seconds, transient_status

NAME = "whatsapp_cloud"
DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
DEFAULT_BODY_PARAMETERS = ("recipient_name", "value", "claim_url")
# Meta caps a template's body at 1,024 characters and a free-text body at 4,096; a template
# parameter may hold no newline, tab or run of more than four spaces.
NOTICE_PARAMETER_LIMIT = 900
FREE_TEXT_LIMIT = 4096

# Meta's error codes that mean "later": throughput and pair rate limits, spam pacing, its own trouble.
TRANSIENT_CODES = {
    1: "Meta's API had an unknown error",
    2: "Meta's API is temporarily unavailable",
    4: "too many API calls for the app",
    80007: "the WhatsApp Business account's rate limit was reached",
    130429: "the phone number's throughput limit was reached",
    131000: "Meta could not send the message (something went wrong on its side)",
    131016: "WhatsApp is temporarily unavailable",
    131048: "Meta is pacing messages to this number (spam rate limit)",
    131049: "Meta chose not to deliver this message now, to keep the ecosystem healthy",
    131056: "too many messages to this recipient from this number (pair rate limit)",
    133004: "Meta's server is temporarily unavailable",
}
# …and the ones a person must act on, with our code for each.
PERMANENT_CODES = {
    0: ("PROVIDER_AUTH", "Meta refused the access token"),
    190: ("PROVIDER_AUTH", "the access token has expired or is not valid"),
    368: ("BLOCKED", "the sending number is blocked for policy violations"),
    131021: ("INVALID_NUMBER", "the recipient's number is the sending number"),
    131026: ("NOT_ON_WHATSAPP", "the number is not on WhatsApp (or has not accepted its terms)"),
    131030: ("NOT_ALLOWED", "the number is not in the test account's allowed list"),
    131031: ("BLOCKED", "the WhatsApp Business account is locked"),
    131042: ("PROVIDER_BILLING", "the WhatsApp Business account has a payment problem"),
    131047: ("OUTSIDE_WINDOW", "more than 24 hours since the recipient last wrote: only a template may be sent"),
    131050: ("BLOCKED", "the recipient has stopped receiving these messages"),
    132000: ("TEMPLATE_MISMATCH", "the template expects another number of parameters"),
    132001: ("TEMPLATE_NOT_FOUND", "the template does not exist in this language (or is not approved)"),
    132012: ("TEMPLATE_MISMATCH", "a parameter does not match the template's format"),
    132015: ("TEMPLATE_PAUSED", "the template is paused for low quality"),
    132016: ("TEMPLATE_DISABLED", "the template is disabled"),
}
# Meta's statuses, as ours.
STATUSES = {"sent": SENT_STATUS, "delivered": DELIVERED, "read": READ, "failed": FAILED_STATUS}


@dataclass(frozen=True)
class WhatsAppCloudSettings:
    phone_number_id: str
    template_name: str
    template_language: str = "en"
    body_parameters: tuple[str, ...] = DEFAULT_BODY_PARAMETERS
    notice_template_name: str = ""  # an approved template with one body parameter, for notices
    base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    verify_token: str = ""  # echoed in Meta's subscription handshake (not a signing secret)
    access_token: str = ""
    timeout_seconds: float = 10.0


def classify_error(status: int, body: dict, retry_after: float | None = None) -> Outcome | None:
    """The Outcome of Meta's ``error`` object, when its code is one we know."""
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = error.get("code")
    said = str(error.get("message") or "").strip()[:300]
    details = (
        str((error.get("error_data") or {}).get("details") or "").strip()[:300]
        if isinstance(error.get("error_data"), dict)
        else ""
    )
    said = f"{said}: {details}" if details and details not in said else said
    if not isinstance(code, int):
        return None
    if code in TRANSIENT_CODES:
        kind = "RATE_LIMITED" if code in (4, 80007, 130429, 131048, 131056) else f"META_{code}"
        return transient(kind, f"{TRANSIENT_CODES[code]} (Meta code {code}: {said})", retry_after=retry_after)
    if code in PERMANENT_CODES:
        ours, words = PERMANENT_CODES[code]
        return permanent(ours, f"{words} (Meta code {code}: {said})")
    return permanent(f"META_{code}", f"Meta refused the message ({status}; Meta code {code}: {said})")


class WhatsAppCloudProvider:
    name = NAME

    def __init__(self, settings: WhatsAppCloudSettings):
        self.settings = settings

    def payload(self, message: Message) -> dict:
        settings = self.settings
        addressed = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.to.lstrip("+")}
        if message.notice and not settings.notice_template_name:
            return addressed | {"type": "text", "text": {"preview_url": False, "body": message.text[:FREE_TEXT_LIMIT]}}
        if message.notice:
            name, texts = settings.notice_template_name, [_one_line(message.text)[:NOTICE_PARAMETER_LIMIT]]
        else:
            name, texts = settings.template_name, [message.variables.get(key, "") for key in settings.body_parameters]
        template: dict = {"name": name, "language": {"code": settings.template_language}}
        if texts:
            template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": text or "-"} for text in texts]}]
        return addressed | {"type": "template", "template": template}

    async def send(self, message: Message) -> Outcome:
        settings = self.settings
        url = f"{settings.base_url.rstrip('/')}/{settings.api_version}/{settings.phone_number_id}/messages"
        response = await post(
            url,
            settings.timeout_seconds,
            json=self.payload(message),
            headers={"Authorization": f"Bearer {settings.access_token}"},
        )
        if isinstance(response, Outcome):
            return response
        body = json_object(response)
        if 200 <= response.status_code < 300:
            messages = body.get("messages")
            first = messages[0] if isinstance(messages, list) and messages and isinstance(messages[0], dict) else {}
            return Outcome(provider_message_id=str(first["id"]) if first.get("id") else None)
        wait = retry_after_seconds(response.headers.get("retry-after"))
        return classify_error(response.status_code, body, wait) or transient_status(response) or _refusal(response, body)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _refusal(response: httpx.Response, body: dict) -> Outcome:
    said = str((body.get("error") or {}).get("message") if isinstance(body.get("error"), dict) else response.text[:300])
    return permanent(f"HTTP_{response.status_code}", f"Meta refused the message ({response.status_code}: {said.strip()})")


# ---------------------------------------------------------------- status callbacks


def signature(app_secret: str, raw_body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify_signature(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    return bool(app_secret and header) and hmac.compare_digest(signature(app_secret, raw_body), header.strip())


def _objects(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _statuses(body: dict) -> list[dict]:
    """The ``statuses`` of every change in every entry (other changes, e.g. incoming messages, have none)."""
    found = []
    for entry in _objects(body.get("entry")):
        for change in _objects(entry.get("changes")):
            value = change.get("value") if isinstance(change.get("value"), dict) else {}
            found += _objects(value.get("statuses"))
    return found


def status_reports(body: dict) -> list[StatusReport]:
    """Every message status in a verified webhook payload, as ours."""
    reports = []
    for item in _statuses(body):
        if item.get("status") not in STATUSES or not item.get("id"):
            continue
        error = (_objects(item.get("errors")) or [{}])[0]
        code = error.get("code") if isinstance(error.get("code"), int) else None
        ours, words = PERMANENT_CODES.get(code, (f"META_{code}", "WhatsApp could not deliver the message"))
        detail = str(error.get("title") or error.get("message") or "").strip()
        failed = item["status"] == "failed"
        reports.append(
            StatusReport(
                provider_message_id=str(item["id"]),
                status=STATUSES[item["status"]],
                callback_id=f"{item['id']}:{item['status']}",
                occurred_at=_time(item.get("timestamp")),
                error_code=ours if failed and code is not None else None,
                reason=f"{words} (Meta code {code}: {detail})" if failed else None,
            )
        )
    return reports


def _time(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
