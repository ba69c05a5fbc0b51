"""Writing events: an event's row is inserted in the caller's write transaction, so it exists if and only if the state change does."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from backend.core import json_text, sql
from backend.core.clock import utcnow
from backend.core.ids import new_id

JOB_NAME = "process_outbox_event"
MAX_ATTEMPTS = 8

PENDING, DONE, FAILED = "pending", "done", "failed"
SKIPPED = "skipped"  # what process() returns for a duplicate delivery; never stored


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    topic: str
    payload: dict
    attempts: int


# A handler turns an event into state changes in the database. It runs inside the transaction
# that marks the event done, so its effect and the "done" mark commit together: exactly once.
EventHandler = Callable[[Event], Awaitable[None]]


@dataclass(frozen=True)
class Batched:
    """A handler that takes the events of its topic together (a job's share of them, in one
    transaction): one read and one multi-row insert for many events instead of one each. An event
    on its own is a batch of one: the same code runs."""

    handle: Callable[[list[Event]], Awaitable[None]]


def batched(handle: Callable[[list[Event]], Awaitable[None]]) -> Batched:
    return Batched(handle)


Handler = EventHandler | Batched


def job_id(event_id: uuid.UUID) -> str:
    return f"outbox:{event_id}"


def batch_job_id(event_ids: list[uuid.UUID]) -> str:
    """A job of several events: named by its first and its size, never like a single event's job,
    so that the batch may hand an event to a job of its own while it still runs."""
    return job_id(event_ids[0]) if len(event_ids) == 1 else f"{job_id(event_ids[0])}+{len(event_ids) - 1}"


_INSERT = """INSERT INTO outbox_events (id, topic, payload, status, created_at, enqueued_at, processed_at, attempts, last_error)
VALUES ($1, $2, $3, 'pending', $4, $5, NULL, 0, NULL)"""


def event(topic: str, payload: dict) -> tuple[uuid.UUID, sql.Statement]:
    """An event's id and its INSERT, for a use case that batches its inserts (``sql.defer``)."""
    event_id, now = new_id(), utcnow()
    return event_id, sql.Statement(_INSERT, (event_id, topic, json_text.dumps(payload), now, None))


async def add(topic: str, payload: dict) -> uuid.UUID:
    """Write an event in the caller's transaction; returns its id for :func:`ring`."""
    event_id, statement = event(topic, payload)
    await sql.run(statement)
    return event_id
