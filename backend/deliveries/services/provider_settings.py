"""The settings each kind of provider needs, checked and normalised (a DomainError naming each
problem): what is stored as it is, never the secrets, which ``services/providers.py`` seals."""

from __future__ import annotations

import re

from backend.core import contact_points
from backend.core.errors import DomainError, FieldError
from backend.deliveries.providers.http_messaging import NAME as HTTP_MESSAGING
from backend.deliveries.providers.sandbox import NAME as SANDBOX
from backend.deliveries.providers.signed_webhook import NAME as SIGNED_WEBHOOK
from backend.deliveries.providers.smtp import NAME as SMTP
from backend.deliveries.providers.smtp import SECURITY
from backend.deliveries.providers.whatsapp_cloud import DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_BODY_PARAMETERS
from backend.deliveries.providers.whatsapp_cloud import NAME as WHATSAPP_CLOUD
from backend.deliveries.templates import VARIABLES
from backend.recipients.services.validation import CHANNELS

# Which channels each kind sends.
KINDS = {
    SANDBOX: CHANNELS,
    SMTP: ("email",),
    HTTP_MESSAGING: ("sms", "whatsapp"),
    WHATSAPP_CLOUD: ("whatsapp",),
    SIGNED_WEBHOOK: CHANNELS,
}
# Kinds that cannot send without their secret (token or signing secret), and those whose
# callbacks are signed by a second one (Meta's app secret).
NEEDS_SECRET = (HTTP_MESSAGING, WHATSAPP_CLOUD, SIGNED_WEBHOOK)
NEEDS_CALLBACK_SECRET = (WHATSAPP_CLOUD,)

_API_VERSION = re.compile(r"^v\d{1,3}\.\d{1,2}$")
_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")  # Meta's template names: lowercase, digits, underscores
_TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")  # en, en_US, pt_BR
_DIGITS = re.compile(r"^\d{5,30}$")


def _text(settings: dict, name: str, errors: list[FieldError], required: bool = True, limit: int = 500) -> str:
    value = str(settings.get(name) or "").strip()
    if required and not value:
        errors.append(FieldError(name, "REQUIRED", f"{name} is required"))
    elif len(value) > limit:
        errors.append(FieldError(name, "TOO_LONG", f"{name} is at most {limit} characters"))
    return value


def _url(settings: dict, name: str, errors: list[FieldError], example: str, required: bool = True) -> str:
    value = _text(settings, name, errors, required=required, limit=500)
    if value and not value.startswith(("https://", "http://")):
        errors.append(FieldError(name, "INVALID", f"{name} is an http(s) URL, e.g. {example}"))
    return value.rstrip("/")


def _timeout(settings: dict, errors: list[FieldError]) -> float:
    value = settings.get("timeout_seconds", 10)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.1 <= value <= 30:
        errors.append(FieldError("timeout_seconds", "INVALID", "timeout_seconds is a number of seconds from 0.1 to 30"))
        return 10.0
    return float(value)


def _rate(settings: dict, errors: list[FieldError]) -> dict:
    """The optional per-provider rate limit (messages per second, across all workers)."""
    value = settings.get("rate_per_second")
    if value is None:
        return {}
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.1 <= value <= 10_000:
        errors.append(FieldError("rate_per_second", "INVALID", "rate_per_second is a number of messages from 0.1 to 10,000"))
        return {}
    return {"rate_per_second": float(value)}


def _smtp(settings: dict, errors: list[FieldError]) -> dict:
    port = settings.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        errors.append(FieldError("port", "INVALID", "port is a whole number from 1 to 65535, e.g. 587"))
    security = str(settings.get("security") or "starttls")
    if security not in SECURITY:
        errors.append(FieldError("security", "INVALID", f"security is one of {', '.join(SECURITY)}"))
    from_address = _text(settings, "from_address", errors, limit=254)
    if from_address:
        try:
            from_address = contact_points.email_address(from_address, "from_address")
        except DomainError as error:
            errors.extend(error.errors)
    return {
        "host": _text(settings, "host", errors, limit=255),
        "port": port,
        "security": security,
        "username": _text(settings, "username", errors, required=False, limit=255),
        "from_address": from_address,
        "from_name": _text(settings, "from_name", errors, required=False, limit=120),
        "timeout_seconds": _timeout(settings, errors),
        "validate_certs": bool(settings.get("validate_certs", True)),
    }


def _http_messaging(settings: dict, errors: list[FieldError]) -> dict:
    base_url = _url(settings, "base_url", errors, "https://api.twilio.com/2010-04-01")
    from_number = _text(settings, "from_number", errors, limit=30)
    if from_number:
        try:
            from_number = contact_points.phone_number(from_number, None, "from_number")
        except DomainError as error:
            errors.extend(error.errors)
    return {
        "base_url": base_url,
        "account_sid": _text(settings, "account_sid", errors, limit=100),
        "from_number": from_number,
        "timeout_seconds": _timeout(settings, errors),
    }


def _whatsapp_cloud(settings: dict, errors: list[FieldError]) -> dict:
    base_url = _url(settings, "base_url", errors, DEFAULT_BASE_URL, required=False) or DEFAULT_BASE_URL
    api_version = _text(settings, "api_version", errors, required=False, limit=10) or DEFAULT_API_VERSION
    if not _API_VERSION.match(api_version):
        errors.append(
            FieldError("api_version", "INVALID", f"api_version is Meta's Graph API version, e.g. {DEFAULT_API_VERSION}")
        )
    phone_number_id = _text(settings, "phone_number_id", errors, limit=30)
    if phone_number_id and not _DIGITS.match(phone_number_id):
        errors.append(FieldError("phone_number_id", "INVALID", "phone_number_id is the number's id in Meta's dashboard (digits)"))
    template_name = _text(settings, "template_name", errors, limit=512)
    if template_name and not _TEMPLATE_NAME.match(template_name):
        errors.append(
            FieldError("template_name", "INVALID", "template_name is the approved template's name: lowercase letters, digits, _")
        )
    notice_template_name = _text(settings, "notice_template_name", errors, required=False, limit=512)
    if notice_template_name and not _TEMPLATE_NAME.match(notice_template_name):
        errors.append(
            FieldError(
                "notice_template_name",
                "INVALID",
                "notice_template_name is the approved template's name: lowercase letters, digits, _",
            )
        )
    language = _text(settings, "template_language", errors, required=False, limit=10) or "en"
    if not _TEMPLATE_LANGUAGE.match(language):
        errors.append(
            FieldError("template_language", "INVALID", "template_language is the template's language code, e.g. en, en_US")
        )
    parameters = settings.get("body_parameters", list(DEFAULT_BODY_PARAMETERS))
    if not isinstance(parameters, (list, tuple)) or not all(isinstance(name, str) for name in parameters):
        errors.append(FieldError("body_parameters", "INVALID", "body_parameters is a list of template variable names"))
        parameters = []
    unknown = [name for name in parameters if name not in VARIABLES]
    if unknown:
        errors.append(
            FieldError(
                "body_parameters",
                "UNKNOWN_VARIABLE",
                f"{', '.join(unknown)}: not a template variable (one of {', '.join(VARIABLES)})",
            )
        )
    return {
        "base_url": base_url,
        "api_version": api_version,
        "phone_number_id": phone_number_id,
        "template_name": template_name,
        "notice_template_name": notice_template_name,
        "template_language": language,
        "body_parameters": list(parameters),
        "verify_token": _text(settings, "verify_token", errors, limit=200),
        "timeout_seconds": _timeout(settings, errors),
    }


def _signed_webhook(settings: dict, errors: list[FieldError]) -> dict:
    return {
        "url": _url(settings, "url", errors, "https://gateway.example.com/mirabelle/messages"),
        "timeout_seconds": _timeout(settings, errors),
    }


_CLEANERS = {
    SANDBOX: lambda settings, errors: {},
    SMTP: _smtp,
    HTTP_MESSAGING: _http_messaging,
    WHATSAPP_CLOUD: _whatsapp_cloud,
    SIGNED_WEBHOOK: _signed_webhook,
}


def clean_settings(kind: str, settings: dict) -> dict:
    """The settings a kind of provider needs, checked and normalised; DomainError naming each problem."""
    errors: list[FieldError] = []
    cleaner = _CLEANERS.get(kind)
    if cleaner is None:
        errors.append(FieldError("kind", "INVALID_KIND", f"a provider is one of {', '.join(KINDS)}"))
        clean: dict = {}
    else:
        clean = cleaner(settings, errors)
        if kind != SANDBOX:
            clean |= _rate(settings, errors)
    if errors:
        raise DomainError(errors)
    return clean
