"""Webhook endpoints: where to send which topics, and the secret that signs what is sent there.

The secret is generated here, returned once to the person who created or rotated it, and stored
only sealed (AES-GCM, backend.core.encryption), bound to its endpoint's id."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from backend.core import audit
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed, mask, secret_box
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.ids import new_id
from backend.core.text import text_error
from backend.webhooks import signing
from backend.webhooks.tables import WebhookDelivery, WebhookEndpoint
from backend.webhooks.topics import TOPICS
from backend.webhooks.views import FAILED, PENDING, EndpointView, Page, maybe_utc

MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 500
STOPPED_BY_DISABLE = "not sent: the endpoint was disabled"


def _secret_context(endpoint_id: uuid.UUID) -> str:
    return f"webhook_endpoint:{endpoint_id}"


def signing_secret(endpoint_id: uuid.UUID, sealed: str) -> str:
    """The endpoint's secret in clear, for signing; raises DecryptionFailed when its key is gone."""
    return secret_box().open(sealed, _secret_context(endpoint_id))


def _view(row: dict) -> EndpointView:
    try:
        hint = signing.SECRET_PREFIX + mask(signing_secret(row["id"], row["secret_sealed"]))
    except DecryptionFailed:
        hint = "unreadable: sealed with a key this process does not have"
    return EndpointView(
        id=row["id"],
        url=row["url"],
        description=row["description"],
        topics=tuple(row["topics"] or ()),
        enabled=bool(row["enabled"]),
        secret_hint=hint,
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        secret_rotated_at=maybe_utc(row["secret_rotated_at"]),
        created_by_label=row["created_by_label"],
    )


def _audited(endpoint: EndpointView) -> dict:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "topics": list(endpoint.topics),
        "enabled": endpoint.enabled,
    }


async def _row(endpoint_id: uuid.UUID) -> dict:
    row = await WebhookEndpoint.select().where(WebhookEndpoint.id == endpoint_id).first()
    if row is None:
        raise NotFound("webhook endpoint", endpoint_id)
    return row


# ---------------------------------------------------------------- validation


def _url_problems(url: str) -> list[FieldError]:
    if not url:
        return [FieldError("url", "REQUIRED", "a URL is required, e.g. https://loyalty.example.com/webhooks/mirabelle")]
    if len(url) > MAX_URL_LENGTH:
        return [FieldError("url", "TOO_LONG", f"a URL is at most {MAX_URL_LENGTH} characters")]
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        return [FieldError("url", "INVALID_URL", f"'{url}' is not a URL: {error}")]
    if parts.scheme not in ("https", "http") or not host:
        return [FieldError("url", "INVALID_URL", f"'{url}' is not an http:// or https:// URL with a host")]
    if parts.username or parts.password:
        # They would be shown in the console and logs; the signature is what authenticates us.
        return [FieldError("url", "INVALID_URL", "a URL must not carry a user name or password")]
    return []


def _topic_problems(topics: list[str]) -> list[FieldError]:
    unknown = sorted(set(topics) - TOPICS.keys())
    if unknown:
        return [
            FieldError(
                "topics", "INVALID_TOPIC", f"unknown topic(s) {', '.join(unknown)}; expected some of {', '.join(sorted(TOPICS))}"
            )
        ]
    if not topics:
        return [FieldError("topics", "REQUIRED", "choose at least one topic to send to this endpoint")]
    return []


def _check(url: str, topics: list[str], description: str) -> tuple[str, list[str], str]:
    """Every problem at once, so a person fixes the form in one go."""
    unreadable = [error for error in (text_error("url", url), text_error("description", description, multiline=True)) if error]
    if unreadable:
        raise DomainError(unreadable)
    url, description = (url or "").strip(), (description or "").strip()
    problems = _url_problems(url) + _topic_problems(list(topics))
    if len(description) > MAX_DESCRIPTION_LENGTH:
        problems.append(FieldError("description", "TOO_LONG", f"a description is at most {MAX_DESCRIPTION_LENGTH} characters"))
    if problems:
        raise DomainError(problems)
    return url, sorted(set(topics)), description


# ---------------------------------------------------------------- use cases


async def create_endpoint(actor: Actor, url: str, topics: list[str], description: str = "") -> tuple[EndpointView, str]:
    """Returns the endpoint and its signing secret, which is shown once."""
    actor.require(Permission.WEBHOOKS_MANAGE)
    url, topics, description = _check(url, topics, description)
    endpoint_id, secret, now = new_id(), signing.generate_secret(), utcnow()
    async with write_transaction():
        await WebhookEndpoint.insert(
            WebhookEndpoint(
                id=endpoint_id,
                url=url,
                description=description,
                topics=topics,
                secret_sealed=secret_box().seal(secret, _secret_context(endpoint_id)),
                enabled=True,
                created_at=now,
                updated_at=now,
                created_by=actor.id if actor.kind is not ActorKind.SYSTEM else None,
                created_by_label=actor.label,
            )
        )
        endpoint = _view(await _row(endpoint_id))
        await audit.record(actor, "webhook_endpoint.created", "webhook_endpoint", endpoint_id, after=_audited(endpoint))
    return endpoint, secret


async def update_endpoint(
    actor: Actor,
    endpoint_id: uuid.UUID,
    *,
    url: str | None = None,
    topics: list[str] | None = None,
    description: str | None = None,
) -> EndpointView:
    """Changes what is given. Deliveries still being tried go to the new URL from their next attempt."""
    actor.require(Permission.WEBHOOKS_MANAGE)
    async with write_transaction():
        before = _view(await _row(endpoint_id))
        url, topics, description = _check(
            before.url if url is None else url,
            list(before.topics) if topics is None else topics,
            before.description if description is None else description,
        )
        await WebhookEndpoint.update(
            {
                WebhookEndpoint.url: url,
                WebhookEndpoint.topics: topics,
                WebhookEndpoint.description: description,
                WebhookEndpoint.updated_at: utcnow(),
            }
        ).where(WebhookEndpoint.id == endpoint_id)
        after = _view(await _row(endpoint_id))
        await audit.record(
            actor, "webhook_endpoint.updated", "webhook_endpoint", endpoint_id, before=_audited(before), after=_audited(after)
        )
    return after


async def set_enabled(actor: Actor, endpoint_id: uuid.UUID, enabled: bool) -> tuple[EndpointView, int]:
    """Enable or disable; disabling stops the endpoint's pending deliveries (parked as failed, so
    they can be replayed once it is enabled again). Returns the endpoint and how many were stopped."""
    actor.require(Permission.WEBHOOKS_MANAGE)
    async with write_transaction():
        before = _view(await _row(endpoint_id))
        if before.enabled == enabled:
            raise DomainError.single(
                "ALREADY_ENABLED" if enabled else "ALREADY_DISABLED",
                f"the endpoint {before.url} is already {'enabled' if enabled else 'disabled'}",
            )
        now = utcnow()
        await WebhookEndpoint.update({WebhookEndpoint.enabled: enabled, WebhookEndpoint.updated_at: now}).where(
            WebhookEndpoint.id == endpoint_id
        )
        stopped = (
            []
            if enabled
            else await WebhookDelivery.update(
                {
                    WebhookDelivery.status: FAILED,
                    WebhookDelivery.next_attempt_at: None,
                    WebhookDelivery.last_error: STOPPED_BY_DISABLE,
                }
            )
            .where(WebhookDelivery.endpoint == endpoint_id, WebhookDelivery.status == PENDING)
            .returning(WebhookDelivery.id)
        )
        after = _view(await _row(endpoint_id))
        await audit.record(
            actor,
            "webhook_endpoint.enabled" if enabled else "webhook_endpoint.disabled",
            "webhook_endpoint",
            endpoint_id,
            before={"enabled": before.enabled},
            after={"enabled": after.enabled, **({} if enabled else {"pending_deliveries_stopped": len(stopped)})},
        )
    return after, len(stopped)


async def rotate_secret(actor: Actor, endpoint_id: uuid.UUID) -> tuple[EndpointView, str]:
    """A new secret, shown once; the old one stops signing at once (the next attempt uses the new one)."""
    actor.require(Permission.WEBHOOKS_MANAGE)
    secret, now = signing.generate_secret(), utcnow()
    async with write_transaction():
        await _row(endpoint_id)
        await WebhookEndpoint.update(
            {
                WebhookEndpoint.secret_sealed: secret_box().seal(secret, _secret_context(endpoint_id)),
                WebhookEndpoint.secret_rotated_at: now,
                WebhookEndpoint.updated_at: now,
            }
        ).where(WebhookEndpoint.id == endpoint_id)
        endpoint = _view(await _row(endpoint_id))
        await audit.record(
            actor, "webhook_endpoint.secret_rotated", "webhook_endpoint", endpoint_id, after={"secret_rotated_at": now}
        )
    return endpoint, secret


async def get_endpoint(actor: Actor, endpoint_id: uuid.UUID) -> EndpointView:
    actor.require(Permission.WEBHOOKS_MANAGE)
    return _view(await _row(endpoint_id))


async def list_endpoints(actor: Actor, offset: int = 0, limit: int = 50) -> Page:
    """Newest first."""
    actor.require(Permission.WEBHOOKS_MANAGE)
    rows = (
        await WebhookEndpoint.select().order_by(WebhookEndpoint.id, ascending=False).offset(offset).limit(max(1, min(limit, 200)))
    )
    return Page(rows=[_view(row) for row in rows], total=await WebhookEndpoint.count())
