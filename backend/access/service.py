"""Access use cases: users and roles, console sign-in, API keys. The only writer of access tables."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import cachetools
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from piccolo.engine.sqlite import SQLiteEngine

from backend.access.roles import API_KEY_SCOPES, Role, permissions_for
from backend.access.tables import ApiKey, ConsoleSession, User
from backend.core import audit, sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import current_engine, icontains, write_transaction
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.settings import get_settings
from backend.core.text import check_text
from backend.core.views import Page

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 12
API_KEY_TOUCH_INTERVAL = timedelta(seconds=60)
_KEY_PATTERN = re.compile(r"^mb_([a-z0-9]{12})_([A-Za-z0-9_-]{32,64})$")


# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class UserView:
    id: uuid.UUID
    email: str
    display_name: str
    roles: tuple[str, ...]
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > utcnow()


@dataclass(frozen=True)
class ApiKeyView:
    id: uuid.UUID
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def masked(self) -> str:
        return f"mb_{self.prefix}_••••••••"


@dataclass(frozen=True)
class SignIn:
    token: str
    user: UserView
    expires_at: datetime


def _opt_utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _user_view(row: dict) -> UserView:
    return UserView(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        roles=tuple(row["roles"] or ()),
        is_active=bool(row["is_active"]),
        locked_until=_opt_utc(row["locked_until"]),
        last_login_at=_opt_utc(row["last_login_at"]),
        created_at=as_utc(row["created_at"]),
    )


def _key_view(row: dict) -> ApiKeyView:
    return ApiKeyView(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        scopes=tuple(row["scopes"] or ()),
        created_at=as_utc(row["created_at"]),
        revoked_at=_opt_utc(row["revoked_at"]),
        last_used_at=_opt_utc(row["last_used_at"]),
    )


def actor_for_user(user: UserView) -> Actor:
    return Actor(kind=ActorKind.USER, id=user.id, label=user.email, permissions=permissions_for(user.roles))


def _audit_user(user: UserView) -> dict:
    return {"email": user.email, "display_name": user.display_name, "roles": list(user.roles), "is_active": user.is_active}


# ---------------------------------------------------------------- validation


def _normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise DomainError.single("INVALID_EMAIL", str(error), field="email") from None


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


async def _hash(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# ---------------------------------------------------------------- users


async def _get_user_row(user_id: uuid.UUID) -> dict:
    row = await User.select().where(User.id == user_id).first()
    if row is None:
        raise NotFound("user", user_id)
    return row


MAX_DISPLAY_NAME = 200  # the columns' lengths
MAX_API_KEY_NAME = 120


async def create_user(actor: Actor, email: str, display_name: str, password: str, roles: list[str]) -> UserView:
    actor.require(Permission.USERS_MANAGE)
    check_text("email", email)
    check_text("display_name", (display_name or "").strip(), MAX_DISPLAY_NAME)
    email = _normalise_email(email)
    roles = _check_roles(roles)
    _check_password(password)
    if not display_name.strip():
        raise DomainError.single("REQUIRED", "a display name is required", field="display_name")
    password_hash = await _hash(password)
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
        user = _user_view(await _get_user_row(user_id))
        await audit.record(actor, "user.created", "user", user.id, after=_audit_user(user))
    return user


async def _change_user(actor: Actor, user_id: uuid.UUID, action: str, values: dict) -> UserView:
    actor.require(Permission.USERS_MANAGE)
    async with write_transaction():
        before = _user_view(await _get_user_row(user_id))
        await User.update({**values, User.updated_at: utcnow()}).where(User.id == user_id)
        after = _user_view(await _get_user_row(user_id))
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
    return await _change_user(actor, user_id, "user.password_reset", {User.password_hash: await _hash(password)})


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
    return Page(rows=[_user_view(row) for row in rows], total=await count)


async def get_user(actor: Actor, user_id: uuid.UUID) -> UserView:
    if actor.id != user_id:
        actor.require(Permission.USERS_MANAGE)
    return _user_view(await _get_user_row(user_id))


# ---------------------------------------------------------------- console sign-in


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _login_refused() -> DomainError:
    return DomainError.single("INVALID_CREDENTIALS", "email or password is incorrect")


async def login(email: str, password: str) -> SignIn:
    """Check a password; lock the account for a while after too many failures in a row."""
    settings = get_settings()
    try:
        email = _normalise_email(email)
    except DomainError:
        raise _login_refused() from None
    row = await User.select().where(User.email == email).first()
    if row is None:
        await _verify(_DUMMY_HASH, password)  # same cost as a real check: no user enumeration by timing
        raise _login_refused()
    user = _user_view(row)
    actor = actor_for_user(user)
    if user.is_locked:
        raise DomainError.single("ACCOUNT_LOCKED", f"too many failed sign-ins; try again after {user.locked_until:%H:%M} UTC")
    if not user.is_active:
        raise DomainError.single("ACCOUNT_DISABLED", "this account is deactivated; ask an administrator")
    if not await _verify(row["password_hash"], password):
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
            ConsoleSession(id=new_id(), token_hash=_token_hash(token), user=user.id, created_at=now, expires_at=expires_at)
        )
        await audit.record(actor, "user.logged_in", "user", user.id)
    return SignIn(token=token, user=user, expires_at=expires_at)


_DUMMY_HASH = _hasher.hash("not a real password: timing equaliser")


async def user_for_session(token: str | None) -> UserView | None:
    """The signed-in user of a console session, or None when unknown, expired, revoked or deactivated."""
    if not token:
        return None
    row = (
        await ConsoleSession.select(ConsoleSession.expires_at, ConsoleSession.revoked_at, *ConsoleSession.user.all_columns())
        .where(ConsoleSession.token_hash == _token_hash(token))
        .first()
    )
    if row is None or row["revoked_at"] is not None or as_utc(row["expires_at"]) <= utcnow():
        return None
    user = _user_view({key.removeprefix("user."): value for key, value in row.items() if key.startswith("user.")})
    return user if user.is_active else None


async def logout(token: str | None) -> None:
    user = await user_for_session(token)
    if user is None:
        return
    async with write_transaction():
        await ConsoleSession.update({ConsoleSession.revoked_at: utcnow()}).where(ConsoleSession.token_hash == _token_hash(token))
        await audit.record(actor_for_user(user), "user.logged_out", "user", user.id)


# ---------------------------------------------------------------- API keys


class ApiKeyRejected(Exception):
    """The bearer key is missing, malformed, unknown or revoked (HTTP 401)."""


def _check_scopes(scopes: list[str]) -> list[str]:
    allowed = {scope.value for scope in API_KEY_SCOPES}
    unknown = [scope for scope in scopes if scope not in allowed]
    if unknown:
        raise DomainError.single(
            "INVALID_SCOPE",
            f"unknown scope(s) {', '.join(unknown)}; expected some of {', '.join(sorted(allowed))}",
            field="scopes",
        )
    if not scopes:
        raise DomainError.single("INVALID_SCOPE", "an API key needs at least one scope", field="scopes")
    return sorted(set(scopes))


async def create_api_key(actor: Actor, name: str, scopes: list[str]) -> tuple[ApiKeyView, str]:
    """Returns the key and its full secret, which is shown once and never stored."""
    actor.require(Permission.API_KEYS_MANAGE)
    check_text("name", (name or "").strip(), MAX_API_KEY_NAME)
    scopes = _check_scopes(scopes)
    if not name.strip():
        raise DomainError.single("REQUIRED", "a name is required so you can tell keys apart", field="name")
    prefix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    key_id = new_id()
    async with write_transaction():
        await ApiKey.insert(
            ApiKey(
                id=key_id,
                name=name.strip(),
                prefix=prefix,
                secret_hash=_token_hash(secret),
                scopes=scopes,
                created_by=actor.id if actor.kind is ActorKind.USER else None,
                created_at=utcnow(),
            )
        )
        key = _key_view(await ApiKey.select().where(ApiKey.id == key_id).first())
        await audit.record(
            actor, "api_key.created", "api_key", key_id, after={"name": key.name, "prefix": prefix, "scopes": scopes}
        )
    return key, f"mb_{prefix}_{secret}"


async def revoke_api_key(actor: Actor, key_id: uuid.UUID) -> ApiKeyView:
    actor.require(Permission.API_KEYS_MANAGE)
    async with write_transaction():
        revoked = (
            await ApiKey.update({ApiKey.revoked_at: utcnow()})
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_null())
            .returning(ApiKey.id)
        )
        row = await ApiKey.select().where(ApiKey.id == key_id).first()
        if row is None:
            raise NotFound("API key", key_id)
        if not revoked:
            raise DomainError.single("ALREADY_REVOKED", f"API key {row['name']} was already revoked")
        key = _key_view(row)
        await audit.record(
            actor, "api_key.revoked", "api_key", key_id, before={"revoked_at": None}, after={"revoked_at": key.revoked_at}
        )
    return key


async def list_api_keys(actor: Actor, include_revoked: bool = True, offset: int = 0, limit: int = 50) -> Page:
    actor.require(Permission.API_KEYS_MANAGE)
    query, count = ApiKey.select(), ApiKey.count()
    if not include_revoked:
        query, count = query.where(ApiKey.revoked_at.is_null()), count.where(ApiKey.revoked_at.is_null())
    rows = await query.order_by(ApiKey.id, ascending=False).offset(offset).limit(max(1, min(limit, 200)))
    return Page(rows=[_key_view(row) for row in rows], total=await count)


async def record_api_keys_listed(actor: Actor, shown: int) -> None:
    """An operator listed the keys outside the console (``mirabelle api-keys list``): the audit log
    keeps who looked, as it keeps who created and revoked."""
    actor.require(Permission.API_KEYS_MANAGE)
    await audit.record(actor, "api_key.listed", "api_key", "all", after={"keys_shown": shown})


async def find_api_key(actor: Actor, reference: str) -> ApiKeyView:
    """The key an operator names by its id, its prefix (``mb_<prefix>``) or its name. Names are
    not unique: a name is accepted only if one key that is not revoked carries it (or, failing
    that, exactly one key at all)."""
    actor.require(Permission.API_KEYS_MANAGE)
    reference = reference.strip()
    try:
        rows = await ApiKey.select().where(ApiKey.id == uuid.UUID(reference))
    except ValueError:
        rows = await ApiKey.select().where(ApiKey.prefix == reference.removeprefix("mb_").rstrip("_"))
        if not rows:
            rows = await ApiKey.select().where(ApiKey.name == reference)
            live = [row for row in rows if row["revoked_at"] is None]
            rows = live or rows
    if not rows:
        raise NotFound("API key", reference)
    if len(rows) > 1:
        listed = ", ".join(f"{row['id']} (mb_{row['prefix']})" for row in rows)
        raise DomainError.single("AMBIGUOUS_KEY", f"{len(rows)} API keys are named {reference}: give one's id: {listed}")
    return _key_view(rows[0])


# Every request reads its key's row: a key revoked in the console is refused by every api process
# from the next request on. (A per-process cache of verified keys let other processes accept a
# revoked key for its lifetime; checking a revocation counter on each request instead would cost
# the same one-row read as this, so there is no cache.) One prepared statement, no query builder.
_KEY_ROW = "SELECT id, name, secret_hash, scopes, revoked_at, last_used_at FROM api_keys WHERE prefix = $1"
_TOUCH = "UPDATE api_keys SET last_used_at = $1 WHERE id = $2"
# On SQLite a query through the engine opens a connection in a thread of its own: ≈ 3 ms of CPU,
# measured (a `{ __typename }` request: 945 → 4,099 µs of CPU). The key's row is read instead on a
# connection kept per database file and thread, in line: one indexed row, in WAL mode a reader
# never waits for a writer. Bounded: tests and tools switch databases.
_sqlite_readers: cachetools.LRUCache = cachetools.LRUCache(maxsize=8)
_SQLITE_READ_TIMEOUT_S = 0.5


async def _key_row(prefix: str) -> Mapping[str, Any] | None:
    engine = current_engine()
    if not isinstance(engine, SQLiteEngine) or engine.current_transaction.get() is not None:
        return await sql.fetchrow(_KEY_ROW, prefix)
    slot = (engine.connection_kwargs["database"], threading.get_ident())
    reader = _sqlite_readers.get(slot)
    if reader is None:
        reader = sqlite3.connect(
            engine.connection_kwargs["database"],
            detect_types=sqlite3.PARSE_DECLTYPES,  # Piccolo's converters: UUID, TIMESTAMPTZ, ARRAY
            isolation_level=None,  # each read sees the latest commit
            timeout=_SQLITE_READ_TIMEOUT_S,
        )
        reader.row_factory = sqlite3.Row
        _sqlite_readers[slot] = reader
    return reader.execute(_KEY_ROW.replace("$1", "?"), (prefix,)).fetchone()


async def authenticate_api_key(raw: str | None) -> Actor:
    """The actor of a live API key; raises ApiKeyRejected saying why not."""
    if not raw:
        raise ApiKeyRejected("missing API key: send 'Authorization: Bearer <key>'")
    match = _KEY_PATTERN.match(raw.strip())
    if match is None:
        raise ApiKeyRejected("malformed API key: expected the 'mb_…' key shown when it was created")
    prefix, secret = match.groups()
    row = await _key_row(prefix)
    if row is None or not hmac.compare_digest(row["secret_hash"], _token_hash(secret)):
        raise ApiKeyRejected("unknown API key")
    if row["revoked_at"] is not None:
        raise ApiKeyRejected(f"API key '{row['name']}' was revoked on {as_utc(row['revoked_at']):%Y-%m-%d %H:%M} UTC")
    now = utcnow()
    # Record use at most once a minute per key: a write per request would cost more than the request.
    last_used_at = _opt_utc(row["last_used_at"])
    if last_used_at is None or last_used_at < now - API_KEY_TOUCH_INTERVAL:
        await sql.fetch(_TOUCH, now, row["id"])
    return Actor(
        kind=ActorKind.API_KEY,
        id=row["id"],
        label=f"api-key:{row['name']}",
        permissions=frozenset(Permission(scope) for scope in _scopes(row["scopes"])),
    )


def _scopes(value: object) -> list[str]:
    # PostgreSQL returns the array; SQLite returns the column's stored text, as Piccolo writes it (JSON).
    return json.loads(value) if isinstance(value, str) else list(value or ())


# ---------------------------------------------------------------- bootstrap


async def ensure_admin(email: str) -> str | None:
    """Create the first admin if there is no user yet; returns the generated password, or None."""
    from backend.core.authz import SYSTEM

    if await User.count() > 0:
        return None
    password = secrets.token_urlsafe(12)
    await create_user(SYSTEM, email, "Demo Admin", password, [Role.ADMIN.value])
    return password
