"""Failed events: listed for an operator, and replayed (audited, all or none) for another round of attempts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.outbox.events import DONE, FAILED, PENDING
from backend.core.outbox.ringing import ring
from backend.core.tables import OutboxEvent
from backend.core.views import Page, json_value

STATUSES = (PENDING, DONE, FAILED)
REPLAY_CHUNK = 500  # events replayed per transaction by a replay of every failed event


@dataclass(frozen=True)
class EventView:
    id: uuid.UUID
    topic: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    processed_at: datetime | None
    payload: dict


def _event_view(row: Mapping[str, Any]) -> EventView:
    return EventView(
        id=row["id"],
        topic=row["topic"],
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        processed_at=row["processed_at"],
        payload=json_value(row["payload"]),
    )


async def list_events(actor: Actor, status: str | None = FAILED, *, offset: int = 0, limit: int = 50) -> Page:
    """The outbox's events, newest first; by default those parked as failed (the worker gave up on
    them after ``MAX_ATTEMPTS``: they wait for :func:`replay`)."""
    actor.require(Permission.OUTBOX_MANAGE)
    if status is not None and status not in STATUSES:
        raise DomainError.single("STATUS_INVALID", f"status must be one of {', '.join(STATUSES)}", "status")
    query, count = OutboxEvent.select(), OutboxEvent.count()
    if status is not None:
        query, count = query.where(OutboxEvent.status == status), count.where(OutboxEvent.status == status)
    rows = await query.order_by(OutboxEvent.id, ascending=False).offset(max(offset, 0)).limit(max(min(limit, 500), 1))
    return Page(rows=[_event_view(row) for row in rows], total=await count)


@dataclass(frozen=True)
class Replayed:
    """What :func:`replay` put back in the queue."""

    event_ids: list[uuid.UUID]


_REPLAY = """UPDATE outbox_events SET status = 'pending', attempts = 0, last_error = NULL, processed_at = NULL,
    enqueued_at = NULL WHERE status = 'failed' AND id IN ({ids})
RETURNING id, topic, status, attempts, last_error, created_at, processed_at, payload"""
_FAILED_BEFORE = "SELECT id, topic, status, attempts, last_error FROM outbox_events WHERE status = 'failed' AND id IN ({ids})"
_STATUS_OF = "SELECT id, status FROM outbox_events WHERE id IN ({ids})"
_OLDEST_FAILED = "SELECT id FROM outbox_events WHERE status = 'failed' ORDER BY id LIMIT $1"


def _placeholders(count: int) -> str:
    return ", ".join(f"${index + 1}" for index in range(count))


async def replay(actor: Actor, event_ids: Iterable[uuid.UUID] | None = None, *, all_failed: bool = False) -> Replayed:
    """Give failed events another round of attempts: each goes back to pending with its attempt
    count reset, is audited (``outbox_event.replayed``: its failure before, who asked), and is
    rung after the commit (or relayed by the worker's next tick if Redis is away). The console
    page and ``mirabelle outbox replay`` both come here.

    ``event_ids``: exactly these, all or none: an unknown id, or one that is not failed (pending,
    done, or replayed meanwhile by someone else), refuses the whole call and changes nothing.
    ``all_failed``: every failed event, ``REPLAY_CHUNK`` per transaction."""
    actor.require(Permission.OUTBOX_MANAGE)
    if all_failed == (event_ids is not None):
        raise DomainError.single("REPLAY_INVALID", "name the events to replay, or ask for all failed ones", "event_ids")
    if not all_failed:
        wanted = list(dict.fromkeys(event_ids))
        if not wanted:
            raise DomainError.single("REPLAY_INVALID", "name at least one event to replay", "event_ids")
        replayed: list[uuid.UUID] = []
        for start in range(0, len(wanted), REPLAY_CHUNK):
            replayed += await _replay_chunk(actor, wanted[start : start + REPLAY_CHUNK], exactly=True)
        return Replayed(replayed)
    replayed = []
    while True:
        chunk = [row["id"] for row in await sql.fetch(_OLDEST_FAILED, REPLAY_CHUNK)]
        if not chunk:
            return Replayed(replayed)
        replayed += await _replay_chunk(actor, chunk, exactly=False)


async def _replay_chunk(actor: Actor, event_ids: list[uuid.UUID], *, exactly: bool) -> list[uuid.UUID]:
    ids = _placeholders(len(event_ids))
    async with write_transaction():
        before = {row["id"]: row for row in await sql.fetch(_FAILED_BEFORE.format(ids=ids), *event_ids)}
        rows = await sql.fetch(_REPLAY.format(ids=ids), *event_ids)
        if exactly and len(rows) != len(event_ids):
            raise await _not_replayable(event_ids, {row["id"] for row in rows})  # leaving the block rolls back
        for row in rows:
            was = before[row["id"]]
            await audit.record(
                actor,
                "outbox_event.replayed",
                "outbox_event",
                row["id"],
                before={"status": was["status"], "attempts": was["attempts"], "last_error": was["last_error"]},
                after={"status": PENDING, "attempts": 0, "topic": row["topic"]},
            )
    replayed = [row["id"] for row in rows]
    await ring(replayed)
    return replayed


async def _not_replayable(event_ids: list[uuid.UUID], replayed: set[uuid.UUID]) -> DomainError:
    rows = await sql.fetch(_STATUS_OF.format(ids=_placeholders(len(event_ids))), *event_ids)
    status = {row["id"]: row["status"] for row in rows}
    items = []
    for event_id in event_ids:
        if event_id in replayed:
            continue
        if event_id not in status:
            items.append(FieldError("event_ids", "EVENT_NOT_FOUND", f"event {event_id} does not exist"))
        else:
            items.append(FieldError("event_ids", "EVENT_NOT_FAILED", f"event {event_id} is {status[event_id]}, not failed"))
    return DomainError(items)
