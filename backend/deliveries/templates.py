"""Message templates: Jinja2 in its sandboxed environment (admins write templates; they must not
reach Python), autoescaped for HTML and plain for subjects, text, SMS and WhatsApp. A template may
use only the variables in ``VARIABLES``, and one that does not compile, or names another, is
refused when it is set (``check``), not when a reward is sent.

Defaults ship for every channel; a programme may override them per channel and language
(``services/templates.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from backend.core.errors import DomainError, FieldError

EMAIL, SMS, WHATSAPP = "email", "sms", "whatsapp"

VARIABLES = {
    "recipient_name": "the recipient's full name",
    "offer_name": "the offer's title (for points, the value: e.g. '1,500 points')",
    "partner_name": "the partner who honours the offer (empty for points)",
    "value": "the reward's value, formatted as currency (or points)",
    "expires_on": "the last day it can be redeemed, e.g. 2027-01-31 (empty when it does not expire)",
    "claim_url": "the reward's own claim page",
    "campaign_name": "the campaign it was issued under",
}
SAMPLE = {
    "recipient_name": "Asha Rao",
    "offer_name": "Chai Point gift card",
    "partner_name": "Chai Point",
    "value": "500.00 INR",
    "expires_on": "2027-01-31",
    "claim_url": "https://rewards.example.com/claim/sample-token",
    "campaign_name": "Festive vouchers",
}

MAX_LENGTHS = {"subject": 300, "html": 100_000, "text": 20_000}
SMS_MAX_TEXT = 1_600  # ten concatenated segments


@dataclass(frozen=True)
class TemplateSet:
    """What one channel's message is made of; ``subject`` and ``html`` only for email."""

    text: str
    subject: str = ""
    html: str = ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


DEFAULTS = {
    EMAIL: TemplateSet(
        subject="{{ recipient_name }}, you have a reward: {{ offer_name }}",
        html=(
            "<p>Hello {{ recipient_name }},</p>\n"
            "<p>You have been rewarded with <strong>{{ offer_name }}</strong>"
            "{% if offer_name != value %} worth <strong>{{ value }}</strong>{% endif %}"
            "{% if partner_name %} at {{ partner_name }}{% endif %} from {{ campaign_name }}.</p>\n"
            '<p><a href="{{ claim_url }}">Claim your reward</a></p>\n'
            "{% if expires_on %}<p>Use it by {{ expires_on }}.</p>\n{% endif %}"
        ),
        text=(
            "Hello {{ recipient_name }},\n\n"
            "You have been rewarded with {{ offer_name }}{% if offer_name != value %} worth {{ value }}{% endif %}"
            "{% if partner_name %} at {{ partner_name }}{% endif %} from {{ campaign_name }}.\n\n"
            "Claim your reward: {{ claim_url }}\n"
            "{% if expires_on %}Use it by {{ expires_on }}.\n{% endif %}"
        ),
    ),
    SMS: TemplateSet(
        text=(
            "{{ recipient_name }}, you have a reward: {{ offer_name }}{% if offer_name != value %} worth {{ value }}{% endif %}. "
            "Claim it at {{ claim_url }}{% if expires_on %} by {{ expires_on }}{% endif %}"
        )
    ),
    WHATSAPP: TemplateSet(
        text=(
            "Hello {{ recipient_name }}! You have been rewarded with *{{ offer_name }}*"
            "{% if offer_name != value %} worth {{ value }}{% endif %}"
            "{% if partner_name %} at {{ partner_name }}{% endif %}.\n"
            "Claim it here: {{ claim_url }}{% if expires_on %}\nUse it by {{ expires_on }}.{% endif %}"
        )
    ),
}


@lru_cache(maxsize=2)
def _environment(html: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=html, undefined=StrictUndefined, keep_trailing_newline=True)


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool):
    return _environment(html).from_string(source)


def check(channel: str, templates: TemplateSet) -> TemplateSet:
    """The templates as they will be stored, or DomainError naming each part that does not compile,
    uses an unknown variable, or fails on sample values."""
    errors: list[FieldError] = []
    parts = {"text": templates.text}
    if channel == EMAIL:
        parts |= {"subject": templates.subject, "html": templates.html}
        if not templates.subject.strip():
            errors.append(FieldError("subject", "REQUIRED", "an email needs a subject"))
    elif templates.subject or templates.html:
        errors.append(FieldError("html", "NOT_FOR_CHANNEL", f"a {channel} message is text only: no subject or HTML"))
    if not templates.text.strip():
        errors.append(FieldError("text", "REQUIRED", "the text of the message is required"))
    for part, source in parts.items():
        limit = SMS_MAX_TEXT if channel == SMS and part == "text" else MAX_LENGTHS[part]
        if len(source) > limit:
            errors.append(FieldError(part, "TOO_LONG", f"the {part} template is at most {limit:,} characters"))
            continue
        errors.extend(_problems(part, source, html=part == "html"))
    if errors:
        raise DomainError(errors)
    return templates


def _problems(part: str, source: str, *, html: bool) -> list[FieldError]:
    environment = _environment(html)
    try:
        unknown = sorted(meta.find_undeclared_variables(environment.parse(source)) - VARIABLES.keys())
    except TemplateSyntaxError as error:
        return [
            FieldError(part, "TEMPLATE_SYNTAX", f"the {part} template does not compile (line {error.lineno}): {error.message}")
        ]
    if unknown:
        return [
            FieldError(
                part,
                "UNKNOWN_VARIABLE",
                f"the {part} template uses {', '.join(unknown)}, which is not a variable here "
                f"(available: {', '.join(VARIABLES)})",
            )
        ]
    try:
        _compiled(source, html).render(SAMPLE)
    except TemplateError as error:  # a filter misused, or something the sandbox refuses
        return [FieldError(part, "TEMPLATE_ERROR", f"the {part} template fails on sample values: {error}")]
    return []


def render(channel: str, templates: TemplateSet, variables: dict[str, str]) -> Rendered:
    """Raises jinja2.TemplateError if a stored template fails (a sending failure, permanent)."""
    email = channel == EMAIL
    return Rendered(
        subject=_compiled(templates.subject, False).render(variables).strip() if email else "",
        html=_compiled(templates.html, True).render(variables) if email and templates.html else "",
        text=_compiled(templates.text, False).render(variables),
    )
