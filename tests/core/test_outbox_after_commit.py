"""A handler's after-commit actions run once its transaction has committed, and never when it rolls
back: a job a handler rings can only find the rows the handler wrote."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from backend.core import outbox, sql
from backend.core.db import write_transaction


async def _event(topic: str) -> object:
    async with write_transaction():
        return await outbox.add(topic, {})


async def test_an_action_runs_after_the_commit_and_sees_what_the_handler_wrote(db):
    seen = []

    async def handler(event: outbox.Event) -> None:
        async def status() -> str:
            return (await sql.fetchrow("SELECT status FROM outbox_events WHERE id = $1", event.id))["status"]

        async def look() -> None:  # as another connection sees it (a fresh context joins no transaction)
            seen.append(await asyncio.create_task(status(), context=contextvars.Context()))

        outbox.after_commit(look)
        assert seen == []  # not yet: still inside the transaction

    event_id = await _event("probe.ok")
    assert await outbox.process(event_id, {"probe.ok": handler}) == outbox.DONE
    assert seen == [outbox.DONE]


async def test_no_action_runs_when_the_handler_fails(db):
    ran = []

    async def handler(event: outbox.Event) -> None:
        async def ring() -> None:
            ran.append(event.id)

        outbox.after_commit(ring)
        raise RuntimeError("the handler failed after asking")

    event_id = await _event("probe.fail")
    with pytest.raises(outbox.RetryLater):
        await outbox.process(event_id, {"probe.fail": handler})
    assert ran == []


async def test_a_failing_action_does_not_undo_the_event(db):
    async def handler(event: outbox.Event) -> None:
        async def broken() -> None:
            raise ConnectionError("Redis is away")

        outbox.after_commit(broken)

    event_id = await _event("probe.ring")
    assert await outbox.process(event_id, {"probe.ring": handler}) == outbox.DONE


async def test_after_commit_is_for_handlers_only(db):
    async def nothing() -> None:
        return None

    with pytest.raises(RuntimeError, match="handlers run by outbox.process"):
        outbox.after_commit(nothing)
