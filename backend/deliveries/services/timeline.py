"""A reward's delivery timeline: its delivery, every attempt, and every status event, in time order.

Status events are the delivery's audit entries (``delivery.failed``, ``delivery.resent``, and
whatever else is recorded against the delivery: provider callbacks included once they are), so
the timeline shows who resent it and why it failed without a table of its own.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc
from backend.deliveries.views import AttemptView, DeliveryView, attempt_view, delivery_view


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # created | attempt | sent | an audit action (delivery.failed, delivery.resent, …)
    summary: str  # one line in words
    actor_label: str = "system"
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryTimeline:
    delivery: DeliveryView | None  # None: the reward has no delivery (not issued, or not yet)
    attempts: list[AttemptView]
    entries: list[TimelineEntry]  # created, attempts and status events, oldest first


def _attempt_entry(attempt: AttemptView) -> TimelineEntry:
    outcome = "accepted" if attempt.status == "sent" else f"{attempt.status} failure {attempt.error_code}: {attempt.error_text}"
    return TimelineEntry(
        at=attempt.started_at,
        kind="attempt",
        summary=f"attempt {attempt.number} by {attempt.provider} ({attempt.provider_role}) on {attempt.channel}: {outcome}",
        detail={"number": attempt.number, "latency_ms": attempt.latency_ms, "provider_message_id": attempt.provider_message_id},
    )


def _audit_entry(row) -> TimelineEntry:
    after = row["after"]
    after = json.loads(after) if isinstance(after, str) else (after or {})
    words = after.get("reason") or ", ".join(f"{key} {value}" for key, value in after.items())
    return TimelineEntry(
        at=as_utc(row["occurred_at"]), kind=row["action"], summary=words, actor_label=row["actor_label"], detail=after
    )


async def delivery_timeline(actor: Actor, issuance_id: uuid.UUID) -> DeliveryTimeline:
    """The reward's delivery with its attempts, and its history (created, attempts, status events) oldest first."""
    actor.require(Permission.DELIVERIES_READ)
    row = await sql.fetchrow("SELECT * FROM deliveries WHERE issuance_id = $1", issuance_id)
    if row is None:
        return DeliveryTimeline(delivery=None, attempts=[], entries=[])
    delivery = delivery_view(row)
    attempts = [
        attempt_view(attempt)
        for attempt in await sql.fetch("SELECT * FROM delivery_attempts WHERE delivery = $1 ORDER BY number", delivery.id)
    ]
    audited = await sql.fetch(
        "SELECT occurred_at, action, actor_label, after FROM audit_events WHERE entity_type = $1 AND entity_id = $2 ORDER BY id",
        "delivery",
        str(delivery.id),
    )
    entries = [
        TimelineEntry(
            at=delivery.created_at, kind="created", summary=f"to {delivery.contact or '(no contact)'} by {delivery.channel}"
        ),
        *map(_attempt_entry, attempts),
        *map(_audit_entry, audited),
    ]
    return DeliveryTimeline(delivery=delivery, attempts=attempts, entries=sorted(entries, key=lambda entry: entry.at))


async def attempts_of_deliveries(actor: Actor, delivery_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[AttemptView]]:
    """The attempts of many deliveries in one query, by delivery id, each list in attempt order (DataLoaders)."""
    actor.require(Permission.DELIVERIES_READ)
    found: dict[uuid.UUID, list[AttemptView]] = {delivery_id: [] for delivery_id in delivery_ids}
    if not delivery_ids:
        return found
    wanted = sql.Conditions().in_list("delivery", delivery_ids)
    rows = await sql.fetch(wanted.statement("SELECT * FROM delivery_attempts", order_by="delivery, number"), *wanted.args)
    for row in rows:
        found.setdefault(row["delivery"], []).append(attempt_view(row))
    return found
