"""Console sign-in: password check with lockout, session tokens, sign-out."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.access.services.shared import (
    UserView,
    actor_for_user,
    hasher,
    normalise_email,
    token_hash,
    user_view,
    verify_password,
)
from backend.access.tables import ConsoleSession, User
from backend.core import audit
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.settings import get_settings


@dataclass(frozen=True)
class SignIn:
    token: str
    user: UserView
    expires_at: datetime


def _login_refused() -> DomainError:
    return DomainError.single("INVALID_CREDENTIALS", "email or password is incorrect")


async def login(email: str, password: str) -> SignIn:
    """Check a password; lock the account for a while after too many failures in a row."""
    settings = get_settings()
    try:
        email = normalise_email(email)
    except DomainError:
        raise _login_refused() from None
    row = await User.select().where(User.email == email).first()
    if row is None:
        await verify_password(_DUMMY_HASH, password)  # same cost as a real check: no user enumeration by timing
        raise _login_refused()
    user = user_view(row)
    actor = actor_for_user(user)
    if user.is_locked:
        raise DomainError.single("ACCOUNT_LOCKED", f"too many failed sign-ins; try again after {user.locked_until:%H:%M} UTC")
    if not user.is_active:
        raise DomainError.single("ACCOUNT_DISABLED", "this account is deactivated; ask an administrator")
    if not await verify_password(row["password_hash"], password):
        async with write_transaction():
            rows = (
                await User.update({User.failed_logins: User.failed_logins + 1})
                .where(User.id == user.id)
                .returning(User.failed_logins)
            )
            failures = rows[0]["failed_logins"]
            if failures >= settings.login_max_failures:
                until = utcnow() + timedelta(minutes=settings.lockout_minutes)
                await User.update({User.locked_until: until, User.failed_logins: 0}).where(User.id == user.id)
                await audit.record(actor, "user.locked", "user", user.id, after={"locked_until": until, "failures": failures})
            else:
                await audit.record(actor, "user.login_failed", "user", user.id, after={"failures": failures})
        if failures >= settings.login_max_failures:
            raise DomainError.single(
                "ACCOUNT_LOCKED", f"too many failed sign-ins; the account is locked for {settings.lockout_minutes} minutes"
            )
        raise _login_refused()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + timedelta(minutes=settings.session_ttl_minutes)
    async with write_transaction():
        await User.update({User.failed_logins: 0, User.locked_until: None, User.last_login_at: now}).where(User.id == user.id)
        await ConsoleSession.insert(
            ConsoleSession(id=new_id(), token_hash=token_hash(token), user=user.id, created_at=now, expires_at=expires_at)
        )
        await audit.record(actor, "user.logged_in", "user", user.id)
    return SignIn(token=token, user=user, expires_at=expires_at)


_DUMMY_HASH = hasher.hash("not a real password: timing equaliser")


async def user_for_session(token: str | None) -> UserView | None:
    """The signed-in user of a console session, or None when unknown, expired, revoked or deactivated."""
    if not token:
        return None
    row = (
        await ConsoleSession.select(ConsoleSession.expires_at, ConsoleSession.revoked_at, *ConsoleSession.user.all_columns())
        .where(ConsoleSession.token_hash == token_hash(token))
        .first()
    )
    if row is None or row["revoked_at"] is not None or as_utc(row["expires_at"]) <= utcnow():
        return None
    user = user_view({key.removeprefix("user."): value for key, value in row.items() if key.startswith("user.")})
    return user if user.is_active else None


async def logout(token: str | None) -> None:
    user = await user_for_session(token)
    if user is None:
        return
    async with write_transaction():
        await ConsoleSession.update({ConsoleSession.revoked_at: utcnow()}).where(ConsoleSession.token_hash == token_hash(token))
        await audit.record(actor_for_user(user), "user.logged_out", "user", user.id)
