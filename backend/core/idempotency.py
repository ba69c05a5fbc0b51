"""Idempotent writes from outside (DESIGN.md rule 6): one effect per (caller, key), and a replay
returns the first result.

A use case wraps its effect::

    request = idempotency.Request.of(actor, idempotency_key, "ledger.reserve", {"amount": 10, ...})
    outcome = await idempotency.once(request, effect, Hold)

:func:`once` runs ``effect`` in a write transaction and, in that same transaction, stores the
request's hash and the result (a dataclass, encoded as JSON) under (caller, key). The unique index
on (caller, key) decides who was first:

* the same key and the same request again: the effect is rolled back and the stored result is
  returned (``outcome.replayed``), so a client may retry a timed-out call safely;
* the same key with another request: ``IDEMPOTENCY_CONFLICT``, nothing changed;
* two calls at once: on PostgreSQL the second one's insert waits on the first one's uncommitted
  unique entry, then finds it and replays; on SQLite ``BEGIN IMMEDIATE`` runs them one after the
  other. Either way there is one effect.

The record is written after the effect, not before it, so the common case (a fresh key) costs one
statement. A refused request (a ``DomainError``) stores nothing: errors change nothing, and the
same key may be used again once the cause is fixed. If the effect is refused because an earlier
call with the key already happened (a second confirm, say), that earlier result is returned.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import types
import typing
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from backend.core import json_text, sql
from backend.core.authz import Actor
from backend.core.clock import as_utc, utcnow
from backend.core.db import current_engine, write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id

T = TypeVar("T")

MAX_KEY_LENGTH = 200
IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"

_INSERT = """INSERT INTO idempotency_records (id, caller, key, request_hash, response, created_at)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (caller, key) DO NOTHING RETURNING id"""
_SELECT = "SELECT request_hash, response FROM idempotency_records WHERE caller = $1 AND key = $2"


def caller_of(actor: Actor) -> str:
    """Keys are per caller: two API keys may use the same idempotency key independently."""
    return f"{actor.kind.value}:{actor.id}" if actor.id is not None else f"{actor.kind.value}:{actor.label}"


@dataclass(frozen=True)
class Request:
    caller: str
    key: str
    request_hash: str

    @classmethod
    def of(cls, actor: Actor, key: str | None, operation: str, params: Mapping[str, Any]) -> Request | None:
        """The identity of one idempotent call; None when the caller sent no key."""
        if key is None:
            return None
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise DomainError.single(
                IDEMPOTENCY_KEY_INVALID,
                f"an idempotency key is 1 to {MAX_KEY_LENGTH} printable characters",
                field="idempotency_key",
            )
        canonical = json.dumps({"operation": operation, "params": params}, sort_keys=True, default=str, separators=(",", ":"))
        return cls(caller=caller_of(actor), key=key, request_hash=hashlib.sha256(canonical.encode()).hexdigest())


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T
    replayed: bool  # True: the stored first result; the effect did not happen now


class _Replay(Exception):
    """Roll the effect back: an earlier call with this key is the one that counts."""


async def once(request: Request | None, effect: Callable[[], Awaitable[T]], result_type: type[T]) -> Outcome[T]:
    """Run ``effect`` in a write transaction, once per request (see the module docstring).

    ``result_type`` is the dataclass ``effect`` returns; a replay decodes the stored result into it.
    With no request (no key) the effect simply runs in a write transaction, joining the caller's
    transaction if there is one: its deferred writes then go out with the outer use case's next
    statement (one round trip less), at the latest before that transaction commits."""
    if request is None:
        async with write_transaction():
            return Outcome(await effect(), replayed=False)
    if current_engine().current_transaction.get() is not None:
        # A replay must roll back only this effect; the outer use case owns idempotency then.
        raise RuntimeError("an idempotent call must own its transaction: pass no key inside another transaction")
    try:
        async with write_transaction():
            try:
                value = await effect()
            except DomainError:
                sql.discard()
                if await _store(request, {}):
                    raise  # no earlier call with this key: the refusal stands (and the row rolls back)
                raise _Replay from None
            # The record goes out with the effect's last writes, as one bound statement; a guarded
            # one (``sql``) that changed nothing refuses the effect — unless an earlier call with
            # the key happened. Both are counted, never raised: the block's end commits.
            stored, failed = await sql.flush_checked(record(request, value))
            if failed is not None:
                if stored:
                    raise await failed.refusal()  # rolls back the record with the rest
                raise _Replay
            if not stored:
                raise _Replay
            return Outcome(value, replayed=False)
    except _Replay:
        return Outcome(await _first_result(request, result_type), replayed=True)


def record(request: Request, response: Any) -> sql.Statement:
    """The INSERT of the request's record with its first result (a dataclass, or JSON values);
    RETURNING a row only if the key was new."""
    return sql.Statement(
        _INSERT, (new_id(), request.caller, request.key, request.request_hash, json_text.dumps(response), utcnow())
    )


async def _store(request: Request, response: dict) -> bool:
    """Insert the record; False when (caller, key) exists. On PostgreSQL this waits for a
    concurrent transaction that inserted the same key, and sees its row once it commits."""
    return bool(await sql.flush(then=record(request, response)))


async def _first_result(request: Request, result_type: type[T]) -> T:
    row = await sql.fetchrow(_SELECT, request.caller, request.key)
    if row is None:  # pruned between our conflict and this read: vanishingly rare, and safe to refuse
        raise DomainError.single(
            IDEMPOTENCY_CONFLICT, "the earlier call with this key is no longer on record; use a new key", field="idempotency_key"
        )
    if row["request_hash"] != request.request_hash:
        raise DomainError.single(
            IDEMPOTENCY_CONFLICT, "this idempotency key was already used for a different request", field="idempotency_key"
        )
    return decode(result_type, json.loads(row["response"]) if isinstance(row["response"], str) else row["response"])


async def prune(before: datetime, batch: int = 1000) -> int:
    """Forget records older than ``before`` (a retention job); returns how many went."""
    rows = await sql.fetch(
        "DELETE FROM idempotency_records WHERE id IN (SELECT id FROM idempotency_records WHERE created_at < $1 LIMIT $2) RETURNING id",
        before,
        batch,
    )
    return len(rows)


# ---------------------------------------------------------------- results as JSON and back


def decode(result_type: Any, data: Any) -> Any:
    """The stored result (``json_text``) back into ``result_type``, guided by the type hints of the dataclass."""
    if data is None:
        return None
    origin = typing.get_origin(result_type)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(result_type) if arg is not type(None)]
        return decode(inner, data)
    if origin in (list, tuple):
        args = typing.get_args(result_type)
        items = [decode(args[0] if args else Any, item) for item in data]
        return tuple(items) if origin is tuple else items
    if dataclasses.is_dataclass(result_type):
        hints = typing.get_type_hints(result_type)
        return result_type(**{f.name: decode(hints[f.name], data[f.name]) for f in dataclasses.fields(result_type) if f.init})
    if result_type is uuid.UUID:
        return uuid.UUID(data)
    if result_type is datetime:
        return as_utc(datetime.fromisoformat(data))
    if isinstance(result_type, type) and issubclass(result_type, enum.Enum):
        return result_type(data)
    return data
