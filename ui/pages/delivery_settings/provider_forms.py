"""The form of each kind of provider: which settings it asks for, in words a person fills in, and
how what they typed becomes the settings the providers service checks (it owns the rules: a port
typed as "abc" is passed on as it is and refused there, next to its field)."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import ui

from backend.deliveries.providers.http_messaging import NAME as HTTP_MESSAGING
from backend.deliveries.providers.sandbox import NAME as SANDBOX
from backend.deliveries.providers.signed_webhook import NAME as SIGNED_WEBHOOK
from backend.deliveries.providers.smtp import NAME as SMTP
from backend.deliveries.providers.whatsapp_cloud import DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_BODY_PARAMETERS
from backend.deliveries.providers.whatsapp_cloud import NAME as WHATSAPP_CLOUD
from backend.deliveries.templates import VARIABLES

TEXT, NUMBER, CHOICE, CHOICES, SWITCH = "text", "number", "choice", "choices", "switch"


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    kind: str = TEXT
    hint: str = ""
    placeholder: str = ""
    default: object = None
    options: dict | None = None
    summary: bool = False  # shown on the provider's card


@dataclass(frozen=True)
class KindForm:
    label: str
    about: str
    settings: tuple[Setting, ...] = ()
    secret_label: str | None = None  # None: the kind has no secret
    secret_required: bool = False
    callback_secret_label: str | None = None  # a second secret that signs the status callbacks (Meta's app secret)


TIMEOUT = Setting("timeout_seconds", "Timeout (seconds)", NUMBER, "0.1 to 30; a slower answer is retried", default=10)
RATE = Setting("rate_per_second", "Rate limit (messages per second)", NUMBER, "Optional, across all workers", default=None)

FORMS: dict[str, KindForm] = {
    SANDBOX: KindForm(
        "Sandbox",
        "Sends nothing: each message is rendered and kept in the sandbox inbox, so you can see rewards arrive.",
    ),
    SMTP: KindForm(
        "SMTP server",
        "Email through your mail server or relay (STARTTLS, TLS or plain), as HTML with a plain-text part.",
        (
            Setting("host", "Host", placeholder="smtp.example.com", summary=True),
            Setting("port", "Port", NUMBER, "587 for STARTTLS, 465 for TLS", default=587, summary=True),
            Setting(
                "security",
                "TLS mode",
                CHOICE,
                default="starttls",
                options={"starttls": "STARTTLS", "tls": "TLS (implicit)", "none": "None (a relay on localhost)"},
                summary=True,
            ),
            Setting("username", "Username", hint="Leave empty when the server needs no login"),
            Setting("from_address", "From address", placeholder="rewards@example.com", summary=True),
            Setting("from_name", "From name", placeholder="Example Rewards"),
            TIMEOUT,
            Setting("validate_certs", "Check the server's certificate", SWITCH, default=True),
            RATE,
        ),
        secret_label="Password",
    ),
    HTTP_MESSAGING: KindForm(
        "HTTP messaging API",
        "SMS or WhatsApp through an API shaped like Twilio's Messages resource (form-encoded, basic auth).",
        (
            Setting("base_url", "Base URL", placeholder="https://api.twilio.com/2010-04-01", summary=True),
            Setting("account_sid", "Account", placeholder="AC…", summary=True),
            Setting("from_number", "From number", hint="E.164, e.g. +14155550100", placeholder="+14155550100", summary=True),
            TIMEOUT,
            RATE,
        ),
        secret_label="Auth token",
        secret_required=True,
    ),
    WHATSAPP_CLOUD: KindForm(
        "WhatsApp Cloud API (Meta)",
        "WhatsApp through Meta's Cloud API: an approved message template, filled with the variables you list in order.",
        (
            Setting("phone_number_id", "Phone number id", hint="The number's id in Meta's dashboard (digits)", summary=True),
            Setting("template_name", "Approved template name", placeholder="reward_issued", summary=True),
            Setting("template_language", "Template language", hint="e.g. en, en_US", default="en", summary=True),
            Setting(
                "notice_template_name",
                "Notice template name (optional)",
                hint="An approved template with one parameter, {{1}}, for agents' replies and replacement codes. "
                "Without it they go as free text, which WhatsApp delivers only within 24 h of the recipient's last message.",
                placeholder="ticket_update",
            ),
            Setting(
                "body_parameters",
                "Body parameters, in order",
                CHOICES,
                "The template's {{1}}, {{2}}, … in this order",
                default=list(DEFAULT_BODY_PARAMETERS),
                options={name: name for name in VARIABLES},
            ),
            Setting("verify_token", "Webhook verify token", hint="What Meta sends when it checks the callback URL"),
            Setting("base_url", "Base URL", default=DEFAULT_BASE_URL),
            Setting("api_version", "Graph API version", default=DEFAULT_API_VERSION),
            TIMEOUT,
            RATE,
        ),
        secret_label="Access token",
        secret_required=True,
        callback_secret_label="App secret (signs status callbacks)",
    ),
    SIGNED_WEBHOOK: KindForm(
        "Your gateway (Standard Webhooks)",
        "Any channel through your company's own gateway: a signed JSON POST of the rendered message.",
        (
            Setting("url", "Gateway URL", placeholder="https://gateway.example.com/mirabelle/messages", summary=True),
            TIMEOUT,
            RATE,
        ),
        secret_label="Signing secret (whsec_…)",
        secret_required=True,
    ),
}


def form_of(kind: str) -> KindForm:
    return FORMS.get(kind) or KindForm(kind, "A provider this console has no form for yet.")


def summary(kind: str, settings: dict) -> str:
    """One line for a provider's card: its main settings."""
    parts = []
    for setting in form_of(kind).settings:
        value = settings.get(setting.name)
        if setting.summary and value not in (None, ""):
            parts.append(setting.options.get(value, value) if setting.options else str(value))
    return " · ".join(str(part) for part in parts)


def _typed(setting: Setting, value):
    """What the person typed, as the service expects it: numbers as numbers when they read as one."""
    if setting.kind == NUMBER:
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return text  # refused by the service, in words, under this field
        return int(number) if number.is_integer() and setting.name == "port" else number
    if setting.kind == SWITCH:
        return bool(value)
    if setting.kind == CHOICES:
        return list(value or [])
    return (value or "").strip() if isinstance(value, str) else value


def build_fields(kind: str, current: dict, *, readonly: bool = False) -> dict[str, ui.element]:
    """The inputs of one kind's settings, filled with ``current`` (or the defaults)."""
    fields: dict[str, ui.element] = {}
    for setting in form_of(kind).settings:
        value = current.get(setting.name, setting.default)
        if setting.kind == CHOICE:
            element = ui.select(setting.options, label=setting.label, value=value)
        elif setting.kind == CHOICES:
            element = ui.select(setting.options, label=setting.label, value=list(value or []), multiple=True)
            element.props("use-chips")
        elif setting.kind == SWITCH:
            element = ui.switch(setting.label, value=bool(value))
        else:
            element = ui.input(setting.label, value="" if value is None else str(value), placeholder=setting.placeholder)
        if setting.kind != SWITCH:
            element.props("outlined dense" + (f' hint="{setting.hint}"' if setting.hint else ""))
        if readonly:
            element.props("readonly" if setting.kind != SWITCH else "disable")
        fields[setting.name] = element.classes("w-full").mark(f"setting-{setting.name}")
    return fields


def settings_from(kind: str, fields: dict[str, ui.element]) -> dict:
    settings = {}
    for setting in form_of(kind).settings:
        if setting.name in fields:
            value = _typed(setting, fields[setting.name].value)
            if value is not None:
                settings[setting.name] = value
    return settings
