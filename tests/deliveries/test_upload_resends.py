"""Every failed delivery of an upload is resent by the worker, not in the admin's request: the
request is audited and written as an outbox event; the worker's runs resend the upload's failed
deliveries chunk by chunk after a cursor (one refused for good is passed over), and its sender
sends them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from arq.connections import RedisSettings, create_pool
from delivery_steps import Programme, count, delivery_row, handle, person

from backend.core import audit, outbox, sql
from backend.core.authz import Actor, ActorKind
from backend.core.errors import PermissionDenied
from backend.core.ids import new_id
from backend.deliveries.services import resending, upload_resends

sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))  # the worker harness of tests/jobs, reused

from worker_harness import eventually, running_worker  # noqa: E402


@pytest.fixture
async def doorbell(embedded_redis):
    pool = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(pool)
    yield pool
    outbox.set_doorbell(None)
    await pool.aclose()


async def failed_of_an_upload(admin, how_many: int) -> tuple:
    shop = await Programme(admin).start()
    upload_id, ids = new_id(), []
    for n in range(how_many):
        issuance_id = await shop.issue((await person(f"U-{n}", email=f"u{n}@example.com")).id)
        await handle(issuance_id)
        ids.append((await delivery_row(issuance_id))["id"])
    await sql.fetch(
        f"UPDATE deliveries SET status = 'failed', upload_id = $1 WHERE id IN ({', '.join(f'${n + 2}' for n in range(len(ids)))})",
        upload_id,
        *ids,
    )
    return upload_id, ids


async def test_the_worker_resends_an_uploads_failed_deliveries_and_sends_them(admin, embedded_redis, doorbell):
    upload_id, ids = await failed_of_an_upload(admin, 3)
    assert await upload_resends.request_resend_of_upload(admin, upload_id) == 3
    assert await count("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 3  # nothing resent in the request
    (entry,) = await audit.entity_history(admin, "upload", upload_id)
    assert (entry["action"], entry["after"]) == ("deliveries.upload_resend_requested", {"failed": 3})

    async def all_sent() -> bool:
        return await count("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'") == 3

    async with running_worker(embedded_redis.url, None, settings_update={"outbox_relay_seconds": 1}):
        await eventually(all_sent, 30, "the upload's failed deliveries to be resent and sent")
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'delivery.resent'") == 3
    assert await count("SELECT COUNT(*) FROM sandbox_messages") == 3
    assert await upload_resends.request_resend_of_upload(admin, upload_id) == 0  # none failed now: no event
    assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = $1", upload_resends.UPLOAD_RESEND_REQUESTED) == 1


async def test_runs_go_chunk_by_chunk_after_a_cursor_and_pass_over_what_is_refused(admin, monkeypatch):
    monkeypatch.setattr(resending, "MAX_SELECTION", 2)
    upload_id, ids = await failed_of_an_upload(admin, 5)
    # The second one's reward was voided meanwhile: refused for good, it must not stop the runs.
    await sql.fetch(
        "UPDATE reward_issuances SET status = 'voided' WHERE id = (SELECT issuance_id FROM deliveries WHERE id = $1)", ids[1]
    )
    worker = upload_resends.worker_for("admin@example.com")
    first = await upload_resends.resend_some(worker, upload_id, None, time_budget=0)  # one chunk, then the budget is spent
    assert (first.resent, first.refused, first.after, first.remaining) == (1, 1, ids[1], 3)
    second = await upload_resends.resend_some(worker, upload_id, first.after, time_budget=60)
    assert (second.resent, second.refused, second.after, second.remaining) == (3, 0, None, 0)
    assert await count("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 1  # the voided reward's, passed over
    again = await upload_resends.resend_some(worker, upload_id, None, time_budget=60)  # a run done twice
    assert (again.resent, again.refused, again.after) == (0, 1, None)  # resends nothing twice


async def test_asking_takes_deliveries_write(admin):
    reader = Actor(kind=ActorKind.USER, id=new_id(), label="reader")
    with pytest.raises(PermissionDenied):
        await upload_resends.request_resend_of_upload(reader, new_id())
