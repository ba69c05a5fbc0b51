"""Each programme's providers, per channel: a primary and optionally a failover. Settings that are
not secret are stored as they are; the password or token is sealed (backend.core.encryption, the
row's id as context) and only ever shown masked. A programme with no provider for a channel sends
through the sandbox."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from backend.core import audit, contact_points, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed, mask, secret_box
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.deliveries.providers import Provider
from backend.deliveries.providers.http_messaging import NAME as HTTP_MESSAGING
from backend.deliveries.providers.http_messaging import HttpMessagingProvider, MessagingSettings
from backend.deliveries.providers.sandbox import NAME as SANDBOX
from backend.deliveries.providers.sandbox import SandboxProvider
from backend.deliveries.providers.smtp import NAME as SMTP
from backend.deliveries.providers.smtp import SECURITY, SmtpProvider, SmtpSettings
from backend.deliveries.views import FAILOVER, PRIMARY, ProviderView, provider_view
from backend.recipients import service as recipients
from backend.recipients.service import CHANNELS

KINDS = {SANDBOX: CHANNELS, SMTP: ("email",), HTTP_MESSAGING: ("sms", "whatsapp")}
ROLES = (PRIMARY, FAILOVER)


@dataclass(frozen=True)
class ProviderInput:
    programme_id: uuid.UUID
    channel: str
    role: str
    kind: str
    settings: dict = field(default_factory=dict)
    secret: str | None = None  # None: keep the stored one (on a change); "" clears it


def _text(settings: dict, name: str, errors: list[FieldError], required: bool = True, limit: int = 500) -> str:
    value = str(settings.get(name) or "").strip()
    if required and not value:
        errors.append(FieldError(name, "REQUIRED", f"{name} is required"))
    elif len(value) > limit:
        errors.append(FieldError(name, "TOO_LONG", f"{name} is at most {limit} characters"))
    return value


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


def clean_settings(kind: str, settings: dict) -> dict:
    """The settings a kind of provider needs, checked and normalised; DomainError naming each problem."""
    errors: list[FieldError] = []
    if kind == SANDBOX:
        clean: dict = {}
    elif kind == SMTP:
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
        clean = {
            "host": _text(settings, "host", errors, limit=255),
            "port": port,
            "security": security,
            "username": _text(settings, "username", errors, required=False, limit=255),
            "from_address": from_address,
            "from_name": _text(settings, "from_name", errors, required=False, limit=120),
            "timeout_seconds": _timeout(settings, errors),
            "validate_certs": bool(settings.get("validate_certs", True)),
        } | _rate(settings, errors)
    elif kind == HTTP_MESSAGING:
        base_url = _text(settings, "base_url", errors, limit=500)
        if base_url and not base_url.startswith(("https://", "http://")):
            errors.append(FieldError("base_url", "INVALID", "base_url is an http(s) URL, e.g. https://api.twilio.com/2010-04-01"))
        from_number = _text(settings, "from_number", errors, limit=30)
        if from_number:
            try:
                from_number = contact_points.phone_number(from_number, None, "from_number")
            except DomainError as error:
                errors.extend(error.errors)
        clean = {
            "base_url": base_url.rstrip("/"),
            "account_sid": _text(settings, "account_sid", errors, limit=100),
            "from_number": from_number,
            "timeout_seconds": _timeout(settings, errors),
        } | _rate(settings, errors)
    else:
        errors.append(FieldError("kind", "INVALID_KIND", f"a provider is one of {', '.join(KINDS)}"))
        clean = {}
    if errors:
        raise DomainError(errors)
    return clean


async def set_provider(actor: Actor, data: ProviderInput) -> ProviderView:
    """Create or change a programme's provider for a channel and role. Requires deliveries:write; audited."""
    actor.require(Permission.DELIVERIES_WRITE)
    errors = []
    if data.channel not in CHANNELS:
        errors.append(FieldError("channel", "INVALID_CHANNEL", f"the channel is one of {', '.join(CHANNELS)}"))
    if data.role not in ROLES:
        errors.append(FieldError("role", "INVALID_ROLE", f"the role is one of {', '.join(ROLES)}"))
    if data.kind in KINDS and data.channel in CHANNELS and data.channel not in KINDS[data.kind]:
        errors.append(FieldError("kind", "NOT_FOR_CHANNEL", f"{data.kind} does not send {data.channel}"))
    if errors:
        raise DomainError(errors)
    settings = clean_settings(data.kind, data.settings or {})
    await recipients.get_programme(SYSTEM, data.programme_id)  # NotFound for an unknown programme
    now = utcnow()
    async with write_transaction():
        before = await sql.fetchrow(
            "SELECT * FROM delivery_providers WHERE programme_id = $1 AND channel = $2 AND role = $3",
            data.programme_id,
            data.channel,
            data.role,
        )
        provider_id = before["id"] if before else new_id()
        sealed = before["secret_sealed"] if before and data.secret is None else ""
        if data.secret:
            sealed = secret_box().seal(data.secret, str(provider_id))
        needs_secret = data.kind == HTTP_MESSAGING
        if needs_secret and not sealed:
            raise DomainError.single("REQUIRED", "the provider's auth token is required", field="secret")
        if before is None:
            await sql.fetch(
                """INSERT INTO delivery_providers (id, programme_id, channel, role, kind, settings, secret_sealed, created_at,
                updated_at, updated_by_label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)""",
                provider_id,
                data.programme_id,
                data.channel,
                data.role,
                data.kind,
                json.dumps(settings),
                sealed,
                now,
                actor.label[:255],
            )
        else:
            await sql.fetch(
                """UPDATE delivery_providers SET kind = $2, settings = $3, secret_sealed = $4, updated_at = $5,
                updated_by_label = $6 WHERE id = $1""",
                provider_id,
                data.kind,
                json.dumps(settings),
                sealed,
                now,
                actor.label[:255],
            )
        row = await sql.fetchrow("SELECT * FROM delivery_providers WHERE id = $1", provider_id)
        view = provider_view(row, _masked(row))
        await audit.record(
            actor,
            "delivery_provider.set",
            "delivery_provider",
            provider_id,
            before=_audited(provider_view(before, _masked(before))) if before else None,
            after=_audited(view) | {"secret_changed": bool(data.secret) or (data.secret == "" and before is not None)},
        )
    return view


def _audited(view: ProviderView) -> dict:
    return {
        "channel": view.channel,
        "role": view.role,
        "kind": view.kind,
        "settings": view.settings,
        "secret": view.secret_masked,
    }


def _masked(row) -> str:
    if not row["secret_sealed"]:
        return ""
    try:
        return mask(secret_box().open(row["secret_sealed"], str(row["id"])))
    except DecryptionFailed:  # a key rotated away: say so rather than fail the page
        return "•••••••• (cannot be opened with the current keys)"


async def list_providers(actor: Actor, programme_id: uuid.UUID) -> list[ProviderView]:
    actor.require(Permission.DELIVERIES_READ)
    rows = await sql.fetch("SELECT * FROM delivery_providers WHERE programme_id = $1 ORDER BY channel, role", programme_id)
    return [provider_view(row, _masked(row)) for row in rows]


@dataclass(frozen=True)
class Configured:
    """A provider ready to send, with what paces it (None: no limit; the sandbox has none)."""

    provider: Provider
    provider_id: uuid.UUID | None
    rate_per_second: float | None = None


async def provider_for(programme_id: uuid.UUID, channel: str, role: str) -> Configured | None:
    """The provider that sends this channel for the programme in this role: the primary defaults to
    the sandbox; a failover is None unless configured. Raises DecryptionFailed for a secret that
    cannot be opened (a configuration problem, which the sender reports as such)."""
    row = await sql.fetchrow(
        "SELECT * FROM delivery_providers WHERE programme_id = $1 AND channel = $2 AND role = $3", programme_id, channel, role
    )
    if row is None:
        return Configured(SandboxProvider(), None) if role == PRIMARY else None
    settings = json.loads(row["settings"]) if isinstance(row["settings"], str) else dict(row["settings"] or {})
    rate = settings.pop("rate_per_second", None)
    secret = secret_box().open(row["secret_sealed"], str(row["id"])) if row["secret_sealed"] else ""
    if row["kind"] == SMTP:
        return Configured(SmtpProvider(SmtpSettings(**settings, password=secret)), row["id"], rate)
    if row["kind"] == HTTP_MESSAGING:
        return Configured(HttpMessagingProvider(MessagingSettings(**settings, auth_token=secret)), row["id"], rate)
    return Configured(SandboxProvider(), row["id"])
