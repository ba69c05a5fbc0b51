"""Each programme's providers, per channel: a primary and optionally a failover. Settings that are
not secret are stored as they are; the password or token is sealed (backend.core.encryption, the
row's id as context) and only ever shown masked. A programme with no provider for a channel sends
through the sandbox."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from backend.core import audit, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed, mask, secret_box
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.ids import new_id
from backend.core.settings import get_settings
from backend.deliveries.providers import Provider
from backend.deliveries.providers.http_messaging import NAME as HTTP_MESSAGING
from backend.deliveries.providers.http_messaging import HttpMessagingProvider, MessagingSettings
from backend.deliveries.providers.sandbox import SandboxProvider
from backend.deliveries.providers.signed_webhook import NAME as SIGNED_WEBHOOK
from backend.deliveries.providers.signed_webhook import SignedWebhookProvider, SignedWebhookSettings, secret_problem
from backend.deliveries.providers.smtp import NAME as SMTP
from backend.deliveries.providers.smtp import SmtpProvider, SmtpSettings
from backend.deliveries.providers.whatsapp_cloud import NAME as WHATSAPP_CLOUD
from backend.deliveries.providers.whatsapp_cloud import WhatsAppCloudProvider, WhatsAppCloudSettings
from backend.deliveries.services.provider_settings import KINDS, NEEDS_CALLBACK_SECRET, NEEDS_SECRET, clean_settings
from backend.deliveries.views import FAILOVER, PRIMARY, ProviderView, provider_view
from backend.recipients import services as recipients
from backend.recipients.services.validation import CHANNELS

__all__ = ["KINDS", "ROLES", "ProviderInput", "clean_settings", "list_providers", "provider_for", "set_provider"]

ROLES = (PRIMARY, FAILOVER)


@dataclass(frozen=True)
class ProviderInput:
    programme_id: uuid.UUID
    channel: str
    role: str
    kind: str
    settings: dict = field(default_factory=dict)
    secret: str | None = None  # None: keep the stored one (on a change); "" clears it
    # The secret that signs the provider's status callbacks when it is another (Meta's app secret).
    callback_secret: str | None = None


def _callback_context(provider_id) -> str:
    return f"callback:{provider_id}"


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
    if data.kind == SIGNED_WEBHOOK and data.secret and (problem := secret_problem(data.secret)):
        raise DomainError.single("INVALID_SECRET", problem, field="secret")
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
        if data.kind in NEEDS_SECRET and not sealed:
            raise DomainError.single("REQUIRED", "the provider's token or signing secret is required", field="secret")
        callback_sealed = before["callback_secret_sealed"] if before and data.callback_secret is None else ""
        if data.callback_secret:
            callback_sealed = secret_box().seal(data.callback_secret, _callback_context(provider_id))
        if data.kind in NEEDS_CALLBACK_SECRET and not callback_sealed:
            raise DomainError.single(
                "REQUIRED",
                "the secret that signs the provider's status callbacks (the app secret) is required",
                field="callback_secret",
            )
        if before is None:
            await sql.fetch(
                """INSERT INTO delivery_providers (id, programme_id, channel, role, kind, settings, secret_sealed,
                callback_secret_sealed, created_at, updated_at, updated_by_label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)""",
                provider_id,
                data.programme_id,
                data.channel,
                data.role,
                data.kind,
                json.dumps(settings),
                sealed,
                callback_sealed,
                now,
                actor.label[:255],
            )
        else:
            await sql.fetch(
                """UPDATE delivery_providers SET kind = $2, settings = $3, secret_sealed = $4, callback_secret_sealed = $5,
                updated_at = $6, updated_by_label = $7 WHERE id = $1""",
                provider_id,
                data.kind,
                json.dumps(settings),
                sealed,
                callback_sealed,
                now,
                actor.label[:255],
            )
        row = await sql.fetchrow("SELECT * FROM delivery_providers WHERE id = $1", provider_id)
        view = _view(row)
        await audit.record(
            actor,
            "delivery_provider.set",
            "delivery_provider",
            provider_id,
            before=_audited(_view(before)) if before else None,
            after=_audited(view)
            | {
                "secret_changed": bool(data.secret) or (data.secret == "" and before is not None),
                "callback_secret_changed": bool(data.callback_secret) or (data.callback_secret == "" and before is not None),
            },
        )
    return view


def _audited(view: ProviderView) -> dict:
    return {
        "channel": view.channel,
        "role": view.role,
        "kind": view.kind,
        "settings": view.settings,
        "secret": view.secret_masked,
        "callback_secret": view.callback_secret_masked,
    }


def _view(row) -> ProviderView:
    return provider_view(
        row,
        _masked(row["secret_sealed"], str(row["id"])),
        _masked(row["callback_secret_sealed"], _callback_context(row["id"])),
    )


def _masked(sealed: str, context: str) -> str:
    if not sealed:
        return ""
    try:
        return mask(secret_box().open(sealed, context))
    except DecryptionFailed:  # a key rotated away: say so rather than fail the page
        return "•••••••• (cannot be opened with the current keys)"


async def list_providers(actor: Actor, programme_id: uuid.UUID) -> list[ProviderView]:
    actor.require(Permission.DELIVERIES_READ)
    rows = await sql.fetch("SELECT * FROM delivery_providers WHERE programme_id = $1 ORDER BY channel, role", programme_id)
    return [_view(row) for row in rows]


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
    callback_url = status_callback_url(row["id"])
    if row["kind"] == HTTP_MESSAGING:
        messaging = MessagingSettings(**settings, auth_token=secret, status_callback_url=callback_url)
        return Configured(HttpMessagingProvider(messaging), row["id"], rate)
    if row["kind"] == WHATSAPP_CLOUD:
        settings["body_parameters"] = tuple(settings.get("body_parameters") or ())
        return Configured(WhatsAppCloudProvider(WhatsAppCloudSettings(**settings, access_token=secret)), row["id"], rate)
    if row["kind"] == SIGNED_WEBHOOK:
        gateway = SignedWebhookSettings(**settings, secret=secret, status_callback_url=callback_url)
        return Configured(SignedWebhookProvider(gateway), row["id"], rate)
    return Configured(SandboxProvider(), row["id"])


def status_callback_url(provider_id: uuid.UUID) -> str:
    """Where this provider reports statuses (the api's signed callback route); Meta's is set in its dashboard."""
    return f"{get_settings().public_url}/callbacks/deliveries/{provider_id}"


@dataclass(frozen=True)
class CallbackKeys:
    """What verifies a provider's status callbacks: its kind, settings and the signing secret."""

    provider_id: uuid.UUID
    programme_id: uuid.UUID
    kind: str
    settings: dict
    signing_secret: str  # Twilio-shaped: the auth token; Meta: the app secret; Standard Webhooks: whsec_


async def callback_keys(provider_id: uuid.UUID) -> CallbackKeys:
    """NotFound for an unknown provider; DecryptionFailed for a secret the current keys cannot open."""
    row = await sql.fetchrow("SELECT * FROM delivery_providers WHERE id = $1", provider_id)
    if row is None:
        raise NotFound("delivery provider", provider_id)
    settings = json.loads(row["settings"]) if isinstance(row["settings"], str) else dict(row["settings"] or {})
    if row["kind"] in NEEDS_CALLBACK_SECRET:
        sealed, context = row["callback_secret_sealed"], _callback_context(row["id"])
    else:
        sealed, context = row["secret_sealed"], str(row["id"])
    secret = secret_box().open(sealed, context) if sealed else ""
    return CallbackKeys(row["id"], row["programme_id"], row["kind"], settings, secret)
