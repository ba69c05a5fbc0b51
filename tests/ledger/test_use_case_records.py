"""Reserve, confirm and release, one code path on both databases: their results, audit entries,
balance events and stored first results agree with one another."""

from __future__ import annotations

import json
import uuid

from backend.core.authz import Actor, ActorKind, Permission
from backend.core.tables import AuditEvent, IdempotencyRecord, OutboxEvent
from backend.ledger import services as ledger
from backend.ledger.kinds import ReservationStatus


def integrator() -> Actor:
    return Actor(
        kind=ActorKind.API_KEY,
        id=uuid.uuid4(),
        label="loyalty platform",
        permissions=frozenset({Permission.POINTS_WRITE, Permission.POINTS_READ}),
    )


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


async def test_reserve_confirm_and_release_leave_their_results_audit_events_and_first_results(programme):
    caller, p, r = integrator(), programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(caller, p, r, 1000)
    hold = await ledger.reserve(caller, p, r, 300, source="marketplace", reference="order-1", idempotency_key="hold")
    done = await ledger.confirm(caller, hold.reservation.id, 200, idempotency_key="post")
    other = await ledger.reserve(caller, p, r, 100, idempotency_key="hold-2")
    freed = await ledger.release(caller, other.reservation.id, "basket abandoned", idempotency_key="free")

    assert (hold.balance.available, hold.balance.pending, hold.balance.posted) == (700, 300, 1000)
    assert hold.balance.recipient_external_id == "Loyalty-R0" and hold.reservation.wallet_id == hold.balance.wallet_id
    assert done.reservation.status is ReservationStatus.POSTED and done.reservation.posted_amount == 200
    assert done.reservation.closing_transfer_id == done.transfer.id and done.transfer.reference == "order-1"
    assert (done.balance.available, done.balance.pending, done.balance.posted) == (800, 0, 800)
    assert (freed.balance.available, freed.balance.pending, freed.balance.posted) == (800, 0, 800)
    assert freed.reservation.status is ReservationStatus.VOIDED and freed.transfer.reason == "basket abandoned"

    # Replays return exactly the first results.
    assert await ledger.reserve(caller, p, r, 300, source="marketplace", reference="order-1", idempotency_key="hold") == hold
    assert await ledger.confirm(caller, hold.reservation.id, 200, idempotency_key="post") == done
    assert await ledger.release(caller, other.reservation.id, "basket abandoned", idempotency_key="free") == freed
    assert await IdempotencyRecord.count() == 4

    audit = (
        await AuditEvent.select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
        .where(AuditEvent.action == "points.released")
        .first()
    )
    assert _json(audit["before"]) == {"available": 700, "pending": 100, "posted": 800}
    after = _json(audit["after"])
    assert (after["available"], after["pending"], after["posted"], after["phase"]) == (800, 0, 800, "void")
    events = (
        await OutboxEvent.select(OutboxEvent.payload, OutboxEvent.enqueued_at)
        .where(OutboxEvent.topic == "ledger.balance_changed")
        .order_by(OutboxEvent.id)
    )
    # With no Redis to ring, nothing is stamped as handed over: the relay's next tick takes every event.
    assert len(events) == 5 and all(event["enqueued_at"] is None for event in events)
    last = _json(events[-1]["payload"])
    assert (last["available"], last["pending"], last["posted"], last["recipient_external_id"]) == (800, 0, 800, "Loyalty-R0")
    assert last["wallet_id"] == str(hold.balance.wallet_id) and last["transfer_id"] == str(freed.transfer.id)
