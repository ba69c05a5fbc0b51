"""API keys: create, revoke, find, list, and authenticate a bearer key on every request."""

from __future__ import annotations

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
from piccolo.engine.sqlite import SQLiteEngine

from backend.access.roles import API_KEY_SCOPES
from backend.access.services.shared import opt_utc, token_hash
from backend.access.tables import ApiKey
from backend.core import audit, sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import current_engine, write_transaction
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.core.views import Page

API_KEY_TOUCH_INTERVAL = timedelta(seconds=60)
_KEY_PATTERN = re.compile(r"^mb_([a-z0-9]{12})_([A-Za-z0-9_-]{32,64})$")


MAX_API_KEY_NAME = 120


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


def _key_view(row: dict) -> ApiKeyView:
    return ApiKeyView(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        scopes=tuple(row["scopes"] or ()),
        created_at=as_utc(row["created_at"]),
        revoked_at=opt_utc(row["revoked_at"]),
        last_used_at=opt_utc(row["last_used_at"]),
    )


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
                secret_hash=token_hash(secret),
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
    if row is None or not hmac.compare_digest(row["secret_hash"], token_hash(secret)):
        raise ApiKeyRejected("unknown API key")
    if row["revoked_at"] is not None:
        raise ApiKeyRejected(f"API key '{row['name']}' was revoked on {as_utc(row['revoked_at']):%Y-%m-%d %H:%M} UTC")
    now = utcnow()
    # Record use at most once a minute per key: a write per request would cost more than the request.
    last_used_at = opt_utc(row["last_used_at"])
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
