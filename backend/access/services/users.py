"""Users and their roles: create, change, list; the first admin. The only writer of the users table."""

from __future__ import annotations

import secrets
import uuid

from backend.access.roles import Role
from backend.access.services.shared import UserView, hash_password, normalise_email, user_view
from backend.access.tables import ConsoleSession, User
from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import icontains, write_transaction
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.core.views import Page

MIN_PASSWORD_LENGTH = 12


def _audit_user(user: UserView) -> dict:
    return {"email": user.email, "display_name": user.display_name, "roles": list(user.roles), "is_active": user.is_active}


def _check_roles(roles: list[str]) -> list[str]:
    valid = {role.value for role in Role}
    unknown = [role for role in roles if role not in valid]
    if unknown:
        raise DomainError.single(
            "INVALID_ROLE", f"unknown role(s) {', '.join(unknown)}; expected one of {', '.join(sorted(valid))}", field="roles"
        )
    if not roles:
        raise DomainError.single("INVALID_ROLE", "a user needs at least one role", field="roles")
    return sorted(set(roles))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError.single("WEAK_PASSWORD", f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")


async def _get_user_row(user_id: uuid.UUID) -> dict:
    row = await User.select().where(User.id == user_id).first()
    if row is None:
        raise NotFound("user", user_id)
    return row


MAX_DISPLAY_NAME = 200  # the columns' lengths


async def create_user(actor: Actor, email: str, display_name: str, password: str, roles: list[str]) -> UserView:
    actor.require(Permission.USERS_MANAGE)
    check_text("email", email)
    check_text("display_name", (display_name or "").strip(), MAX_DISPLAY_NAME)
    email = normalise_email(email)
    roles = _check_roles(roles)
    _check_password(password)
    if not display_name.strip():
        raise DomainError.single("REQUIRED", "a display name is required", field="display_name")
    password_hash = await hash_password(password)
    now = utcnow()
    async with write_transaction():
        if await User.exists().where(User.email == email):
            raise DomainError.single("EMAIL_TAKEN", f"a user with email {email} already exists", field="email")
        user_id = new_id()
        await User.insert(
            User(
                id=user_id,
                email=email,
                display_name=display_name.strip(),
                password_hash=password_hash,
                roles=roles,
                is_active=True,
                failed_logins=0,
                created_at=now,
                updated_at=now,
            )
        )
        user = user_view(await _get_user_row(user_id))
        await audit.record(actor, "user.created", "user", user.id, after=_audit_user(user))
    return user


async def _change_user(actor: Actor, user_id: uuid.UUID, action: str, values: dict) -> UserView:
    actor.require(Permission.USERS_MANAGE)
    async with write_transaction():
        before = user_view(await _get_user_row(user_id))
        await User.update({**values, User.updated_at: utcnow()}).where(User.id == user_id)
        after = user_view(await _get_user_row(user_id))
        await audit.record(actor, action, "user", user_id, before=_audit_user(before), after=_audit_user(after))
    return after


async def set_roles(actor: Actor, user_id: uuid.UUID, roles: list[str]) -> UserView:
    roles = _check_roles(roles)
    if actor.id == user_id and Role.ADMIN.value not in roles:
        raise DomainError.single("SELF_DEMOTION", "you cannot remove your own admin role", field="roles")
    return await _change_user(actor, user_id, "user.roles_changed", {User.roles: roles})


async def set_active(actor: Actor, user_id: uuid.UUID, active: bool) -> UserView:
    if actor.id == user_id and not active:
        raise DomainError.single("SELF_DEACTIVATION", "you cannot deactivate yourself")
    user = await _change_user(actor, user_id, "user.activated" if active else "user.deactivated", {User.is_active: active})
    if not active:
        await ConsoleSession.update({ConsoleSession.revoked_at: utcnow()}).where(
            ConsoleSession.user == user_id, ConsoleSession.revoked_at.is_null()
        )
    return user


async def unlock(actor: Actor, user_id: uuid.UUID) -> UserView:
    return await _change_user(actor, user_id, "user.unlocked", {User.locked_until: None, User.failed_logins: 0})


async def reset_password(actor: Actor, user_id: uuid.UUID, password: str) -> UserView:
    _check_password(password)
    return await _change_user(actor, user_id, "user.password_reset", {User.password_hash: await hash_password(password)})


USER_SORT_KEYS = ("email", "display_name", "last_login_at", "created_at")


async def list_users(
    actor: Actor, search: str = "", offset: int = 0, limit: int = 50, *, sort_by: str = "email", descending: bool = False
) -> Page:
    """``sort_by`` is one of USER_SORT_KEYS; ties are broken by id so pages never overlap."""
    actor.require(Permission.USERS_MANAGE)
    query, count = User.select(), User.count()
    if search:
        term = search.strip()
        query = query.where(icontains(User.email, term) | icontains(User.display_name, term))
        count = count.where(icontains(User.email, term) | icontains(User.display_name, term))
    order = getattr(User, sort_by if sort_by in USER_SORT_KEYS else "email")
    rows = await query.order_by(order, ascending=not descending).order_by(User.id).offset(offset).limit(max(1, min(limit, 200)))
    return Page(rows=[user_view(row) for row in rows], total=await count)


async def get_user(actor: Actor, user_id: uuid.UUID) -> UserView:
    if actor.id != user_id:
        actor.require(Permission.USERS_MANAGE)
    return user_view(await _get_user_row(user_id))


async def ensure_admin(email: str) -> str | None:
    """Create the first admin if there is no user yet; returns the generated password, or None."""
    from backend.core.authz import SYSTEM

    if await User.count() > 0:
        return None
    password = secrets.token_urlsafe(12)
    await create_user(SYSTEM, email, "Demo Admin", password, [Role.ADMIN.value])
    return password
