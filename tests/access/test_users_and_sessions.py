from datetime import timedelta

import pytest

from backend.access import services as access
from backend.access.tables import ConsoleSession, User
from backend.core import audit
from backend.core.authz import SYSTEM, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError, PermissionDenied
from backend.core.settings import get_settings

PASSWORD = "correct horse battery"


async def test_passwords_are_stored_as_argon2id_hashes(admin):
    row = await User.select().where(User.email == "admin@example.com").first()
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]


async def test_create_user_validates_everything(admin):
    with pytest.raises(DomainError) as bad_email:
        await access.create_user(admin, "not-an-email", "X", PASSWORD, ["viewer"])
    assert bad_email.value.code == "INVALID_EMAIL"
    with pytest.raises(DomainError) as bad_role:
        await access.create_user(admin, "x@example.com", "X", PASSWORD, ["wizard"])
    assert bad_role.value.code == "INVALID_ROLE"
    with pytest.raises(DomainError) as weak:
        await access.create_user(admin, "x@example.com", "X", "short", ["viewer"])
    assert weak.value.code == "WEAK_PASSWORD"
    with pytest.raises(DomainError) as taken:
        await access.create_user(admin, "ADMIN@example.com", "X", PASSWORD, ["viewer"])
    assert taken.value.code == "EMAIL_TAKEN"
    assert await User.count() == 1


async def test_only_user_managers_create_users(admin):
    viewer = access.actor_for_user(await access.create_user(admin, "v@example.com", "Vee", PASSWORD, ["viewer"]))
    with pytest.raises(PermissionDenied):
        await access.create_user(viewer, "w@example.com", "Wu", PASSWORD, ["admin"])
    assert await User.count() == 2


async def test_login_logout_and_session(admin):
    sign_in = await access.login("Admin@Example.com", PASSWORD)
    assert (await access.user_for_session(sign_in.token)).email == "admin@example.com"
    assert await access.user_for_session("forged-token") is None
    await access.logout(sign_in.token)
    assert await access.user_for_session(sign_in.token) is None
    actions = [row["action"] for row in (await audit.search(admin, audit.AuditFilter(entity_type="user"))).rows]
    assert actions[:2] == ["user.logged_out", "user.logged_in"]


async def test_session_expires(admin):
    sign_in = await access.login("admin@example.com", PASSWORD)
    await ConsoleSession.update({ConsoleSession.expires_at: utcnow() - timedelta(seconds=1)}).where(
        ConsoleSession.user == admin.id
    )
    assert await access.user_for_session(sign_in.token) is None


async def test_wrong_password_and_unknown_user_look_the_same(admin):
    for email in ("admin@example.com", "nobody@example.com"):
        with pytest.raises(DomainError) as refused:
            await access.login(email, "wrong password!!")
        assert refused.value.code == "INVALID_CREDENTIALS"


async def test_lockout_after_repeated_failures_then_unlock(admin):
    limit = get_settings().login_max_failures
    for _ in range(limit - 1):
        with pytest.raises(DomainError, match="INVALID_CREDENTIALS"):
            await access.login("admin@example.com", "wrong password!!")
    with pytest.raises(DomainError) as locked:
        await access.login("admin@example.com", "wrong password!!")
    assert locked.value.code == "ACCOUNT_LOCKED"
    # Even the right password is refused while locked.
    with pytest.raises(DomainError) as still_locked:
        await access.login("admin@example.com", PASSWORD)
    assert still_locked.value.code == "ACCOUNT_LOCKED"
    other_admin = access.actor_for_user(await access.create_user(admin, "b@example.com", "Bea", PASSWORD, ["admin"]))
    await access.unlock(other_admin, admin.id)
    assert (await access.login("admin@example.com", PASSWORD)).user.id == admin.id
    assert (await audit.search(admin, audit.AuditFilter(action="user.locked"))).total == 1


async def test_success_resets_the_failure_count(admin):
    for _ in range(get_settings().login_max_failures - 1):
        with pytest.raises(DomainError):
            await access.login("admin@example.com", "wrong password!!")
    await access.login("admin@example.com", PASSWORD)
    with pytest.raises(DomainError) as refused:
        await access.login("admin@example.com", "wrong password!!")
    assert refused.value.code == "INVALID_CREDENTIALS"


async def test_deactivation_ends_sessions_and_blocks_login(admin):
    user = await access.create_user(admin, "s@example.com", "Sam", PASSWORD, ["support_agent"])
    sign_in = await access.login("s@example.com", PASSWORD)
    await access.set_active(admin, user.id, False)
    assert await access.user_for_session(sign_in.token) is None
    with pytest.raises(DomainError) as refused:
        await access.login("s@example.com", PASSWORD)
    assert refused.value.code == "ACCOUNT_DISABLED"


async def test_admin_cannot_lock_themselves_out(admin):
    with pytest.raises(DomainError, match="SELF_DEMOTION"):
        await access.set_roles(admin, admin.id, ["viewer"])
    with pytest.raises(DomainError, match="SELF_DEACTIVATION"):
        await access.set_active(admin, admin.id, False)


async def test_role_change_is_audited_with_before_and_after(admin):
    user = await access.create_user(admin, "p@example.com", "Pat", PASSWORD, ["viewer"])
    await access.set_roles(admin, user.id, ["finance", "viewer"])
    row = (await audit.search(admin, audit.AuditFilter(action="user.roles_changed"))).rows[0]
    assert row["before"]["roles"] == ["viewer"] and row["after"]["roles"] == ["finance", "viewer"]
    assert Permission.LEDGER_ADJUST in access.actor_for_user(await access.get_user(admin, user.id)).permissions


async def test_first_admin_is_created_once(db):
    password = await access.ensure_admin("first@example.com")
    assert password and (await access.login("first@example.com", password)).user.roles == ("admin",)
    assert await access.ensure_admin("first@example.com") is None
    assert await User.count() == 1
    assert (await audit.search(SYSTEM, audit.AuditFilter(action="user.created"))).rows[0]["actor_kind"] == "system"
