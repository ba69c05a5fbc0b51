from backend.core import audit, outbox
from backend.core.authz import SYSTEM
from backend.core.db import write_transaction


async def test_work_done_for_an_event_is_traced_to_it(admin):
    async with write_transaction():
        event_id = await outbox.add("test.traced", {"n": 1})

    async def handler(event: outbox.Event) -> None:
        await audit.record(SYSTEM, "test.handled", "event", event.id)

    assert await outbox.process(event_id, {"test.traced": handler}) == outbox.DONE
    entry = (await audit.search(admin, audit.AuditFilter(action="test.handled"))).rows[0]
    assert entry["request_id"] == f"outbox-{event_id.hex}"
