"""How deliveries read on screen: their statuses, the reasons they failed and the channels and
providers they went through, in words an admin reads at a glance (the full reason is the provider's
own, kept with the delivery)."""

from __future__ import annotations

from backend.deliveries.views import FAILED, PENDING, SENDING, SENT
from ui.pages.channel_words import CHANNELS

DELIVERED = "delivered"  # a provider's status callback confirmed it reached the person
DELIVERY_STATUSES = {FAILED: "Failed", PENDING: "Waiting to send", SENDING: "Sending", SENT: "Sent", DELIVERED: "Delivered"}
DELIVERY_STATUS_COLOURS = {FAILED: "negative", PENDING: "primary", SENDING: "primary", SENT: "positive", DELIVERED: "positive"}
ATTEMPT_STATUSES = {"sent": "Sent", "transient": "Failed, retried", "permanent": "Failed for good"}
ATTEMPT_STATUS_COLOURS = {"sent": "positive", "transient": "warning", "permanent": "negative"}
PROVIDERS = {"sandbox": "Sandbox", "smtp": "SMTP", "http_messaging": "HTTP messaging", "webhook": "Webhook"}

# A failure's code in a few words (the filter's choices and the table's "Reason" column); the
# provider's full text is shown beside it.
FAILURE_REASONS = {
    "MISSING_CONTACT": "No contact on record",
    "INVALID_NUMBER": "Invalid phone number",
    "NOT_MOBILE": "Not a mobile number",
    "NOT_ON_WHATSAPP": "Not on WhatsApp",
    "BLOCKED": "Blocked or opted out",
    "REGION_NOT_ENABLED": "Country not enabled",
    "HARD_BOUNCE": "Email bounced",
    "INVALID_EMAIL": "Invalid email address",
    "SMTP_AUTH": "Mail server refused our login",
    "NO_PROVIDER": "No provider configured",
    "PROVIDER_SECRET": "Provider secret unreadable",
    "TEMPLATE_ERROR": "Template cannot be rendered",
    "TIMEOUT": "Provider timed out",
    "CONNECTION": "Provider unreachable",
    "RATE_LIMITED": "Provider rate limit",
    "PROVIDER_ERROR": "Provider error",
    "ABANDONED": "Worker stopped mid-send",
}


def channel_name(channel: str | None) -> str:
    return CHANNELS.get(channel or "", channel or "—")


def provider_name(provider: str | None) -> str:
    return PROVIDERS.get(provider or "", provider or "—")


def failure_reason(code: str | None) -> str:
    """A failure code in words: a known one by name, an HTTP or SMTP status by its number."""
    if not code:
        return "—"
    if code in FAILURE_REASONS:
        return FAILURE_REASONS[code]
    if code.startswith("HTTP_"):
        return f"Provider refused ({code.removeprefix('HTTP_')})"
    if code.startswith("SMTP_"):
        return f"Mail server answered {code.removeprefix('SMTP_')}"
    return code.replace("_", " ").capitalize()
