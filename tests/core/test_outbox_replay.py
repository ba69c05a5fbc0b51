"""Failed outbox events can be listed and replayed (issue 15): an event the worker parked as failed
goes back to pending with a fresh round of attempts, audited with who asked, rung at once; a
replay that names an unknown or unfailed event changes nothing; only admins may."""

from __future__ import annotations

import uuid

import pytest
from arq.connections import RedisSettings, create_pool

from backend.core import audit, outbox
from backend.core.audit import AuditFilter
from backend.core.authz import SYSTEM, Actor, ActorKind
from backend.core.db import write_transaction
from backend.core.errors import DomainError, PermissionDenied
from backend.core.outbox import failed_events as failed_events_module


async def failing(event: outbox.Event) -> None:
    raise RuntimeError("the receiver is down")


async def succeeding(event: outbox.Event) -> None:
    return None


async def failed_events(count: int, topic: str = "probe.effect") -> list[uuid.UUID]:
    """Events the worker gave up on: written as a service does, processed once with a handler that
    fails, with one attempt allowed."""
    event_ids = []
    for n in range(count):
        async with write_transaction():
            event_ids.append(await outbox.add(topic, {"n": n}))
        assert await outbox.process(event_ids[-1], {topic: failing}, max_attempts=1) == outbox.FAILED
    return event_ids


async def test_failed_events_are_listed_newest_first_with_their_error(db, admin):
    failed = await failed_events(3)
    async with write_transaction():
        await outbox.add("probe.effect", {"n": "still pending"})
    page = await outbox.list_events(admin)
    assert page.total == 3 and [event.id for event in page.rows] == failed[::-1]
    assert {(event.status, event.attempts, event.last_error) for event in page.rows} == {
        ("failed", 1, "RuntimeError: the receiver is down")
    }
    assert (await outbox.list_events(admin, None)).total == 4
    assert [event.payload for event in (await outbox.list_events(admin, "pending")).rows] == [{"n": "still pending"}]
    with pytest.raises(DomainError, match="STATUS_INVALID"):
        await outbox.list_events(admin, "lost")


async def test_a_replay_puts_the_events_back_audited_and_rings_them(db, admin, embedded_redis):
    redis = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(redis)
    try:
        first, second, third = await failed_events(3)
        replayed = await outbox.replay(admin, [first, second])
        assert replayed.event_ids == [first, second]
        assert await redis.exists(f"arq:job:{outbox.batch_job_id([first, second])}")  # one job for both
    finally:
        outbox.set_doorbell(None)
        await redis.aclose()

    pending = {event.id: event for event in (await outbox.list_events(admin, "pending")).rows}
    assert set(pending) == {first, second} and {(e.attempts, e.last_error) for e in pending.values()} == {(0, None)}
    assert [event.id for event in (await outbox.list_events(admin)).rows] == [third]
    entries = (await audit.search(admin, AuditFilter(action="outbox_event.replayed"))).rows
    assert {entry["entity_id"] for entry in entries} == {str(first), str(second)}
    assert {entry["actor_label"] for entry in entries} == {"admin@example.com"}
    assert entries[0]["before"] == {"status": "failed", "attempts": 1, "last_error": "RuntimeError: the receiver is down"}

    # The worker's next run of a replayed event has its full attempts again, and this time it succeeds.
    assert await outbox.process(first, {"probe.effect": succeeding}) == outbox.DONE


async def test_a_replay_naming_an_unknown_or_unfailed_event_changes_nothing(db, admin):
    [failed] = await failed_events(1)
    async with write_transaction():
        pending = await outbox.add("probe.effect", {})
    unknown = uuid.uuid4()
    with pytest.raises(DomainError) as refused:
        await outbox.replay(admin, [failed, pending, unknown])
    assert [(item.code, item.message) for item in refused.value.errors] == [
        ("EVENT_NOT_FAILED", f"event {pending} is pending, not failed"),
        ("EVENT_NOT_FOUND", f"event {unknown} does not exist"),
    ]
    assert [event.id for event in (await outbox.list_events(admin)).rows] == [failed]  # still failed
    assert (await audit.search(admin, AuditFilter(action="outbox_event.replayed"))).total == 0
    with pytest.raises(DomainError, match="REPLAY_INVALID"):
        await outbox.replay(admin, [])
    with pytest.raises(DomainError, match="REPLAY_INVALID"):
        await outbox.replay(admin, [failed], all_failed=True)


async def test_replaying_every_failed_event_goes_in_chunks(db, monkeypatch):
    monkeypatch.setattr(failed_events_module, "REPLAY_CHUNK", 2)
    failed = await failed_events(5)
    async with write_transaction():
        await outbox.add("probe.effect", {})
    operator = Actor(kind=ActorKind.SYSTEM, id=None, label="cli:operator")
    assert sorted((await outbox.replay(operator, all_failed=True)).event_ids) == sorted(failed)
    assert (await outbox.list_events(SYSTEM)).total == 0
    assert (await outbox.replay(operator, all_failed=True)).event_ids == []
    entries = (await audit.search(SYSTEM, AuditFilter(action="outbox_event.replayed"))).rows
    assert len(entries) == 5 and {entry["actor_label"] for entry in entries} == {"cli:operator"}


async def test_only_an_actor_with_outbox_manage_may_list_or_replay(db):
    [failed] = await failed_events(1)
    agent = Actor(kind=ActorKind.USER, id=uuid.uuid4(), label="an agent", permissions=frozenset())
    with pytest.raises(PermissionDenied):
        await outbox.list_events(agent)
    with pytest.raises(PermissionDenied):
        await outbox.replay(agent, [failed])
