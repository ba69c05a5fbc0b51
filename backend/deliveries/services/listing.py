"""The Deliveries list: failed first, then newest, filtered, in keyset pages.

The order is ``(rank, id DESC)`` with rank 0 for a failed delivery and 1 for any other; ids are
UUIDv7, so id order is creation order. The rank expression is the ``deliveries_listing`` index's,
word for word (migration 2026_12_07t10_01), so the database walks the index instead of sorting.
Every value is bound; only the fixed filter clauses are joined into the text.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError, FieldError
from backend.core.text import text_error
from backend.deliveries.services.resending import check_channel
from backend.deliveries.views import DeliveryView, delivery_view

MAX_PAGE = 500
_RANK = "(CASE WHEN status = 'failed' THEN 0 ELSE 1 END)"
_LIST_ORDER = _RANK + ", id DESC"  # failed first, then newest
WORD = re.compile(r"^[a-z0-9_.-]{1,40}$", re.IGNORECASE)


@dataclass(frozen=True)
class DeliveryFilter:
    """Every field optional; ``failure_reason`` matches a part of the reason, case-insensitive;
    ``provider``: a provider that made any attempt of the delivery; ``issued_*``: the reward's
    issue time, ``issued_after`` included, ``issued_before`` not."""

    status: str | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    channel: str | None = None
    provider: str | None = None
    campaign_id: uuid.UUID | None = None
    upload_id: uuid.UUID | None = None
    programme_id: uuid.UUID | None = None
    recipient_id: uuid.UUID | None = None
    issued_after: datetime | None = None
    issued_before: datetime | None = None


@dataclass(frozen=True, order=True)
class DeliveryKey:
    """Where a row sits in the list's order; ``str()`` and ``parse`` make it a cursor."""

    rank: int
    id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.rank}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> DeliveryKey:
        """The key ``str(key)`` wrote; ValueError otherwise."""
        rank, _, key = text.partition(":")
        if rank not in ("0", "1"):
            raise ValueError(text)
        return cls(int(rank), uuid.UUID(key))


def delivery_key(delivery: DeliveryView) -> DeliveryKey:
    return DeliveryKey(0 if delivery.status == "failed" else 1, delivery.id)


def check_filter(delivery_filter: DeliveryFilter) -> DeliveryFilter:
    """The filter with its words checked (INVALID_CHARACTERS / INVALID_VALUE / INVALID_RANGE naming
    the field) and its channel normalised."""
    texts = ("status", "failure_code", "failure_reason", "channel", "provider")
    unreadable = [error for name in texts if (error := text_error(name, getattr(delivery_filter, name), 200))]
    if unreadable:  # values no other rule can read
        raise DomainError(unreadable)
    errors = [
        FieldError(name, "INVALID_VALUE", f"{name.replace('_', ' ')} is 1 to 40 letters, digits, '_', '.' or '-'")
        for name in ("status", "failure_code", "provider")
        if getattr(delivery_filter, name) is not None and not WORD.match(getattr(delivery_filter, name))
    ]
    reason = delivery_filter.failure_reason
    if reason is not None and not reason.strip():
        errors.append(FieldError("failure_reason", "INVALID_VALUE", "failure reason is empty: leave it out to match any"))
    after, before = delivery_filter.issued_after, delivery_filter.issued_before
    if after is not None and before is not None and after >= before:
        errors.append(FieldError("issued_before", "INVALID_RANGE", "issued before must be later than issued after"))
    if errors:
        raise DomainError(errors)
    return DeliveryFilter(
        **{
            **delivery_filter.__dict__,
            "channel": check_channel(delivery_filter.channel),
            "failure_reason": reason and reason.strip(),
        }
    )


def _where(delivery_filter: DeliveryFilter) -> sql.Conditions:
    conditions = sql.Conditions()
    bind = conditions.add
    for column in ("status", "failure_code", "channel", "campaign_id", "upload_id", "programme_id", "recipient_id"):
        value = getattr(delivery_filter, column)
        if value is not None:
            bind(f"{column} = ?", value)  # the column names are this tuple's, never the caller's
    if delivery_filter.failure_reason is not None:
        if sql.is_sqlite():  # instr matches literally: no LIKE wildcards to escape
            bind("instr(lower(failure_reason), lower(?)) > 0", delivery_filter.failure_reason)
        else:
            escaped = delivery_filter.failure_reason.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            bind("failure_reason ILIKE ?", f"%{escaped}%")
    if delivery_filter.provider is not None:
        bind(
            "EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery = deliveries.id AND a.provider = ?)",
            delivery_filter.provider,
        )
    if delivery_filter.issued_after is not None:
        bind("issued_at >= ?", delivery_filter.issued_after)
    if delivery_filter.issued_before is not None:
        bind("issued_at < ?", delivery_filter.issued_before)
    return conditions


async def deliveries_after(
    actor: Actor, delivery_filter: DeliveryFilter, after: DeliveryKey | None = None, limit: int = 50
) -> list[DeliveryView]:
    """A page of the list: up to ``limit`` deliveries matching the filter, strictly after ``after``
    in the order failed first, then newest."""
    actor.require(Permission.DELIVERIES_READ)
    conditions = _where(check_filter(delivery_filter))
    if after is not None:
        rank, key = conditions.bind(after.rank), conditions.bind(after.id)
        conditions.add_clause(f"({_RANK} > {rank} OR ({_RANK} = {rank} AND id < {key}))")
    query = conditions.statement("SELECT * FROM deliveries", order_by=_LIST_ORDER, limit=max(1, min(limit, MAX_PAGE)))
    rows = await sql.fetch(query, *conditions.args)
    return [delivery_view(row) for row in rows]


async def count_deliveries(actor: Actor, delivery_filter: DeliveryFilter) -> int:
    """How many deliveries match the filter."""
    actor.require(Permission.DELIVERIES_READ)
    conditions = _where(check_filter(delivery_filter))
    row = await sql.fetchrow(conditions.statement("SELECT COUNT(*) AS n FROM deliveries"), *conditions.args)
    return int(row["n"])


async def deliveries_by_ids(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, DeliveryView]:
    """Many deliveries in one query (DataLoaders)."""
    actor.require(Permission.DELIVERIES_READ)
    if not ids:
        return {}
    wanted = sql.Conditions().in_list("id", ids)
    rows = await sql.fetch(wanted.statement("SELECT * FROM deliveries"), *wanted.args)
    return {row["id"]: delivery_view(row) for row in rows}


async def deliveries_of_rewards(actor: Actor, issuance_ids: list[uuid.UUID]) -> dict[uuid.UUID, DeliveryView]:
    """The delivery of each reward that has one, by reward id, in one query (DataLoaders)."""
    actor.require(Permission.DELIVERIES_READ)
    if not issuance_ids:
        return {}
    wanted = sql.Conditions().in_list("issuance_id", issuance_ids)
    rows = await sql.fetch(wanted.statement("SELECT * FROM deliveries"), *wanted.args)
    return {row["issuance_id"]: delivery_view(row) for row in rows}
