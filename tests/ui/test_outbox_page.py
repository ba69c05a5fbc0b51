"""The outbox in the console: failed events with their last error, replay one or all (asking
first, saying what was done, audited as the admin); only admins see the page."""

from __future__ import annotations

import uuid

from nicegui.testing import User

from backend.core import audit, outbox
from backend.core.audit import AuditFilter
from backend.core.db import write_transaction


async def failing(event: outbox.Event) -> None:
    raise RuntimeError("the receiver is down")


async def failed_events(count: int) -> list[uuid.UUID]:
    event_ids = []
    for n in range(count):
        async with write_transaction():
            event_ids.append(await outbox.add("ledger.balance_changed", {"n": n}))
        assert await outbox.process(event_ids[-1], {"ledger.balance_changed": failing}, max_attempts=1) == outbox.FAILED
    return event_ids


async def test_a_failed_event_is_shown_and_replayed_after_asking(console: User, admin, patience, table, eventually):
    first, second = await failed_events(2)
    async with write_transaction():
        await outbox.add("ledger.balance_changed", {"n": "pending"})
    await console.open("/outbox")
    await console.should_see(marker="nav-outbox", retries=patience)
    events = table(console, "outbox-table")
    await eventually(lambda: [row["id"] for row in events.rows] == [str(second), str(first)])  # failed only, newest first
    row = events.rows[0]
    assert (row["status"], row["attempts"], row["last_error"], row["actions"]) == (
        "failed",
        "1",
        "RuntimeError: the receiver is down",
        ["replay"],
    )

    console.find(marker="outbox-table").trigger("row_action", {"action": "replay", "key": str(second)})
    await console.should_see("Replay this event?", retries=patience)
    console.find(marker="confirm-cancel").click()
    await console.should_not_see(marker="confirm-dialog", retries=patience)
    assert (await outbox.list_events(admin)).total == 2  # cancelled: nothing done

    console.find(marker="outbox-table").trigger("row_action", {"action": "replay", "key": str(second)})
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Replayed 1 event(s): pending again", retries=patience)
    await eventually(lambda: [row["id"] for row in events.rows] == [str(first)])
    assert [event.id for event in (await outbox.list_events(admin)).rows] == [first]
    [entry] = (await audit.search(admin, AuditFilter(action="outbox_event.replayed"))).rows
    assert (entry["entity_id"], entry["actor_label"]) == (str(second), "admin@example.com")


async def test_replay_all_failed_asks_with_the_count_then_replays_them(console: User, admin, patience, table, eventually):
    await failed_events(3)
    await console.open("/outbox")
    events = table(console, "outbox-table")
    await eventually(lambda: len(events.rows) == 3)
    console.find(marker="replay-all").click()
    await console.should_see("Replay all 3 failed events?", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Replayed 3 event(s)", retries=patience)
    await eventually(lambda: events.rows == [])
    assert (await outbox.list_events(admin)).total == 0
    assert (await audit.search(admin, AuditFilter(action="outbox_event.replayed"))).total == 3

    console.find(marker="replay-all").click()
    await console.should_see("No failed events to replay.", retries=patience)


async def test_only_admins_see_the_outbox(admin, user: User, sign_in, patience, create_person) -> None:
    await create_person("fin@example.com", ["finance"])
    await sign_in("fin@example.com", "a long enough password")
    await user.should_see(marker="navigation", retries=patience)
    await user.should_not_see(marker="nav-outbox")
    await user.open("/outbox")
    await user.should_see("You need the permission “outbox:manage”", retries=patience)
    await user.should_not_see(marker="outbox-table")
