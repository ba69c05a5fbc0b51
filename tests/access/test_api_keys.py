import pytest

from backend.access import services as access
from backend.access.tables import ApiKey
from backend.core import audit
from backend.core.authz import ActorKind, Permission
from backend.core.errors import DomainError, PermissionDenied


async def test_key_is_shown_once_stored_hashed_and_authenticates(admin):
    key, secret = await access.create_api_key(admin, "POS connector", ["rewards:write", "recipients:read"])
    row = await ApiKey.select().where(ApiKey.id == key.id).first()
    assert secret.startswith(f"mb_{key.prefix}_") and secret.split("_", 2)[2] not in str(row)
    actor = await access.authenticate_api_key(secret)
    assert actor.kind is ActorKind.API_KEY and actor.label == "api-key:POS connector"
    assert actor.permissions == {Permission.REWARDS_WRITE, Permission.RECIPIENTS_READ}
    assert (await ApiKey.select(ApiKey.last_used_at).where(ApiKey.id == key.id).first())["last_used_at"] is not None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(None, "missing API key"), ("", "missing API key"), ("Basic abc", "malformed"), ("mb_short_x", "malformed")],
)
async def test_rejections_say_why(db, raw, reason):
    with pytest.raises(access.ApiKeyRejected, match=reason):
        await access.authenticate_api_key(raw)


async def test_unknown_and_tampered_keys_are_rejected(admin):
    key, secret = await access.create_api_key(admin, "CRM", ["recipients:read"])
    with pytest.raises(access.ApiKeyRejected, match="unknown API key"):
        await access.authenticate_api_key(secret[:-4] + "AAAA")
    with pytest.raises(access.ApiKeyRejected, match="unknown API key"):
        await access.authenticate_api_key("mb_aaaaaaaaaaaa_" + "B" * 43)


async def test_revoked_key_is_rejected_and_revocation_is_audited(admin):
    key, secret = await access.create_api_key(admin, "HR sync", ["recipients:write"])
    await access.revoke_api_key(admin, key.id)
    with pytest.raises(access.ApiKeyRejected, match="HR sync' was revoked"):
        await access.authenticate_api_key(secret)
    with pytest.raises(DomainError, match="ALREADY_REVOKED"):
        await access.revoke_api_key(admin, key.id)
    actions = [row["action"] for row in (await audit.search(admin, audit.AuditFilter(entity_type="api_key"))).rows]
    assert actions == ["api_key.revoked", "api_key.created"]


async def test_scopes_are_checked(admin):
    with pytest.raises(DomainError, match="INVALID_SCOPE"):
        await access.create_api_key(admin, "x", ["users:manage"])
    with pytest.raises(DomainError, match="INVALID_SCOPE"):
        await access.create_api_key(admin, "x", [])
    assert await ApiKey.count() == 0


async def test_only_key_managers_create_keys(admin):
    manager = access.actor_for_user(
        await access.create_user(admin, "pm@example.com", "PM", "correct horse battery", ["programme_manager"])
    )
    with pytest.raises(PermissionDenied):
        await access.create_api_key(manager, "x", ["rewards:write"])
