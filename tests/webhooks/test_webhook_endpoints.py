"""Endpoints: the secret is shown once and kept only sealed; rotation; clear refusals; audit."""

from __future__ import annotations

import base64
import json

import pytest
from webhook_events import QUICK, fan_out

from backend.access import services as access
from backend.core import audit
from backend.core.audit import AuditFilter
from backend.core.encryption import DecryptionFailed, secret_box
from backend.core.errors import DomainError, PermissionDenied
from backend.webhooks import signing
from backend.webhooks.services import endpoints, sending
from backend.webhooks.services.endpoints import signing_secret
from backend.webhooks.tables import WebhookEndpoint
from backend.webhooks.topics import BALANCE_CHANGED


async def test_the_secret_is_shown_once_and_stored_only_sealed(admin, subscribe):
    endpoint, secret = await subscribe("https://loyalty.example.com/webhooks/mirabelle")

    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == signing.SECRET_BYTES
    [row] = await WebhookEndpoint.raw("SELECT * FROM webhook_endpoints")
    stored = json.dumps(row, default=str)
    key_part = secret.removeprefix("whsec_")
    assert secret not in stored and key_part not in stored and key_part[:12] not in stored
    assert row["secret_sealed"].startswith(f"v1:{secret_box().current_id}:")  # the key id beside the ciphertext
    assert signing_secret(endpoint.id, row["secret_sealed"]) == secret
    # Bound to its endpoint: the same ciphertext does not open as another endpoint's secret.
    other, _ = await subscribe("https://crm.example.com/hooks")
    with pytest.raises(DecryptionFailed):
        signing_secret(other.id, row["secret_sealed"])

    # The console and the audit log see it masked or not at all.
    listed = (await endpoints.list_endpoints(admin)).rows
    assert {view.secret_hint for view in listed if view.id == endpoint.id} == {"whsec_••••••••" + secret[-4:]}
    entries = (await audit.search(admin, AuditFilter(entity_type="webhook_endpoint"))).rows
    assert len(entries) == 2 and all(key_part not in json.dumps(entry, default=str) for entry in entries)


async def test_rotating_the_secret_signs_from_then_on_with_the_new_one(admin, receiver, subscribe):
    server = receiver()
    endpoint, old_secret = await subscribe(server.url)

    rotated, new_secret = await endpoints.rotate_secret(admin, endpoint.id)

    assert new_secret != old_secret and rotated.secret_rotated_at is not None
    [first] = await fan_out()
    assert (await sending.attempt_delivery(first.delivery_id, QUICK)).status == "succeeded"
    [request] = server.received
    signing.verify(new_secret, request.headers, request.body)
    with pytest.raises(signing.InvalidSignature, match="no v1 signature matches"):
        signing.verify(old_secret, request.headers, request.body)
    [entry] = (await audit.search(admin, AuditFilter(action="webhook_endpoint.secret_rotated"))).rows
    assert entry["entity_id"] == str(endpoint.id) and "whsec_" not in json.dumps(entry["after"])


async def test_a_bad_endpoint_is_refused_with_every_reason_and_nothing_is_written(admin):
    with pytest.raises(DomainError) as refused:
        await endpoints.create_endpoint(admin, "ftp://loyalty.example.com", ["ledger.balance_changd"], "x" * 501)

    assert {(error.field, error.code) for error in refused.value.errors} == {
        ("url", "INVALID_URL"),
        ("topics", "INVALID_TOPIC"),
        ("description", "TOO_LONG"),
    }
    for url, message in (
        ("", "a URL is required"),
        ("https://user:pw@example.com/hook", "must not carry a user name"),
        ("https:///no-host", "with a host"),
    ):
        with pytest.raises(DomainError, match=message):
            await endpoints.create_endpoint(admin, url, [BALANCE_CHANGED])
    with pytest.raises(DomainError, match="choose at least one topic"):
        await endpoints.create_endpoint(admin, "https://example.com/hook", [])
    # A NUL passes urlsplit; PostgreSQL refused it with a server error, SQLite stored it.
    for url, description, field in (
        ("https://example.com/ho\x00ok", "", "url"),
        ("https://example.com/hook", "a\x00b", "description"),
    ):
        with pytest.raises(DomainError) as refused:
            await endpoints.create_endpoint(admin, url, [BALANCE_CHANGED], description)
        assert [(error.field, error.code) for error in refused.value.errors] == [(field, "INVALID_CHARACTERS")]
    assert await WebhookEndpoint.count() == 0
    assert (await audit.search(admin, AuditFilter(entity_type="webhook_endpoint"))).total == 0


async def test_updates_and_switches_are_audited_and_checked(admin, subscribe):
    endpoint, _ = await subscribe("https://loyalty.example.com/v1/hook")

    updated = await endpoints.update_endpoint(admin, endpoint.id, url=" https://loyalty.example.com/v2/hook ")
    disabled, _ = await endpoints.set_enabled(admin, endpoint.id, False)

    assert updated.url == "https://loyalty.example.com/v2/hook" and updated.topics == (BALANCE_CHANGED,)
    assert not disabled.enabled
    with pytest.raises(DomainError, match="ALREADY_DISABLED"):
        await endpoints.set_enabled(admin, endpoint.id, False)
    with pytest.raises(DomainError, match="INVALID_URL"):
        await endpoints.update_endpoint(admin, endpoint.id, url="not a url")
    assert (await endpoints.get_endpoint(admin, endpoint.id)).url == "https://loyalty.example.com/v2/hook"
    actions = [entry["action"] for entry in (await audit.search(admin, AuditFilter(entity_id=str(endpoint.id)))).rows]
    assert actions == ["webhook_endpoint.disabled", "webhook_endpoint.updated", "webhook_endpoint.created"]
    [change] = (await audit.search(admin, AuditFilter(action="webhook_endpoint.updated"))).rows
    assert (change["before"]["url"], change["after"]["url"]) == ("https://loyalty.example.com/v1/hook", updated.url)


async def test_only_who_may_manage_webhooks_sees_or_changes_them(admin, subscribe):
    endpoint, _ = await subscribe("https://loyalty.example.com/hook")
    finance = access.actor_for_user(
        await access.create_user(admin, "fin@example.com", "Fin", "a long enough password", ["finance"])
    )

    with pytest.raises(PermissionDenied, match="webhooks:manage"):
        await endpoints.list_endpoints(finance)
    with pytest.raises(PermissionDenied):
        await endpoints.rotate_secret(finance, endpoint.id)
    with pytest.raises(PermissionDenied):
        await endpoints.create_endpoint(finance, "https://evil.example.com", [BALANCE_CHANGED])
