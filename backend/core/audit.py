"""The audit trail: who did what to which entity, before and after, in the caller's transaction.

There is deliberately no update or delete here, and the database refuses both.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.core import json_text, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import icontains
from backend.core.ids import new_id
from backend.core.request_context import current_request_id
from backend.core.sql import Statement
from backend.core.tables import AuditEvent

_INSERT = """INSERT INTO audit_events (id, occurred_at, actor_kind, actor_id, actor_label, action, entity_type, entity_id,
    before, after, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"""


def _json(value: Any) -> str | None:
    return json_text.dumps(value) if value is not None else None


def entry(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict | None = None,
    after: dict | None = None,
) -> Statement:
    """The INSERT of one audit entry, for a use case that batches its inserts (``sql.defer``)."""
    return Statement(
        _INSERT,
        (
            new_id(),
            utcnow(),
            actor.kind.value,
            actor.id,
            actor.label,
            action,
            entity_type,
            str(entity_id),
            _json(before),
            _json(after),
            current_request_id(),
        ),
    )


async def record(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    await sql.run(entry(actor, action, entity_type, entity_id, before, after))


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None  # substring of the actor label
    entity_type: str | None = None
    entity_id: str | None = None
    action: str | None = None  # matched anywhere, any case: "user." or "created" or "go_live"
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict]
    total: int


def _where(query, audit_filter: AuditFilter):
    if audit_filter.actor:
        query = query.where(icontains(AuditEvent.actor_label, audit_filter.actor))
    if audit_filter.entity_type:
        query = query.where(AuditEvent.entity_type == audit_filter.entity_type)
    if audit_filter.entity_id:
        query = query.where(AuditEvent.entity_id == audit_filter.entity_id)
    if audit_filter.action:
        query = query.where(icontains(AuditEvent.action, audit_filter.action))
    if audit_filter.since:
        query = query.where(AuditEvent.occurred_at >= audit_filter.since)
    if audit_filter.until:
        query = query.where(AuditEvent.occurred_at < audit_filter.until)
    return query


async def search(actor: Actor, audit_filter: AuditFilter, offset: int = 0, limit: int = 50) -> AuditPage:
    """Newest first, filtered and paged in the database."""
    actor.require(Permission.AUDIT_READ)
    limit = max(1, min(limit, 500))
    rows = await _where(AuditEvent.select(), audit_filter).order_by(AuditEvent.id, ascending=False).offset(offset).limit(limit)
    total = await _where(AuditEvent.count(), audit_filter)
    for row in rows:
        for key in ("before", "after"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return AuditPage(rows=rows, total=total)


async def entity_history(actor: Actor, entity_type: str, entity_id: uuid.UUID | str) -> list[dict]:
    return (await search(actor, AuditFilter(entity_type=entity_type, entity_id=str(entity_id)), limit=500)).rows


async def distinct_entity_types() -> list[str]:
    rows = await AuditEvent.select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)
    return [row["entity_type"] for row in rows]
