"""Recording performance events: append-only, each (kind, source, source_ref) once, so a replayed
outbox event or a re-sent report records nothing twice. The event keeps the recipient's segment
at that moment and its value converted to the programme's currency; the roll-up cells it
touches get its counts added in the same transaction (``backend.insights.rollup``).

Lookups (programme currency, the recipient's segment, an offer's partner, the fx rate) happen
before the writes. On PostgreSQL a batch is COPYed and written set-based (``backend.insights.staging``,
about six round trips whatever its size); on SQLite, the embedded default, the writes are multi-row
statements (``backend.insights.bulk``) and the roll-up's deltas are summed here (``rollup.add``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from backend.catalog.services import offer_rows
from backend.core import sql
from backend.core.authz import SYSTEM
from backend.core.clock import as_utc, utcnow
from backend.core.db import current_engine, write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.insights import bulk, fx, rollup, staging
from backend.insights.segments import Segment, recipient_segment
from backend.recipients import services as recipients

VIEWED, ACTIVATED, REDEEMED, SPEND = "viewed", "activated", "redeemed", "spend"
# A redemption taken back in full (a refund): one redemption fewer. Its spend comes back as a spend
# event of a negative value; both count on the reversal's own day, like every event.
REVERSED = "reversed"
KINDS = (VIEWED, ACTIVATED, REDEEMED, SPEND, REVERSED)
EVENT_KIND_INVALID = "EVENT_KIND_INVALID"


@dataclass(frozen=True)
class PerformanceEvent:
    """A fact to record. Left out, the segment comes from the recipient and the partner from the
    offer; ``value_minor`` is in ``currency`` (spend), converted on the event's day."""

    kind: str
    occurred_at: datetime
    programme_id: uuid.UUID
    source: str  # where the fact comes from, e.g. "outbox", "partner_report", "ledger"
    source_ref: str  # unique per kind within its source
    partner_id: uuid.UUID | None = None
    offer_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    recipient_id: uuid.UUID | None = None
    issuance_id: uuid.UUID | None = None
    segment: Segment | None = None
    value_minor: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class StoredEvent:
    """A fact ready to store: its id, segment values and value in the programme's currency."""

    id: uuid.UUID
    fact: PerformanceEvent
    recorded_at: datetime
    segment: tuple[str, ...]
    programme_value_minor: int | None

    @property
    def day(self) -> date:
        return self.fact.occurred_at.astimezone(UTC).date()


async def record_event(event: PerformanceEvent) -> uuid.UUID | None:
    """Record one fact; its id, or None when this (kind, source, source_ref) was recorded before."""
    return (await record_events([event]))[0]


async def record_events(events: Sequence[PerformanceEvent]) -> list[uuid.UUID | None]:
    """Record facts in one transaction (joining the caller's, e.g. the outbox handler's); for
    each, its id or None when it was recorded before. An unknown rate refuses them all."""
    stored = await prepare(events)
    owns_transaction = current_engine().current_transaction.get() is None
    async with write_transaction():
        new_ids, changed = await store(stored)
    await rollup.ring_after_commit(changed, owns_transaction)
    return [row.id if row.id in new_ids else None for row in stored]


async def prepare(events: Sequence[PerformanceEvent]) -> list[StoredEvent]:
    for event in events:
        if event.kind not in KINDS:
            raise DomainError.single(EVENT_KIND_INVALID, f"an event kind is one of {', '.join(KINDS)}", "kind")
    events = [_in_utc(event) for event in events]
    segments = await _segments(events)
    partners = await _partners(events)
    currencies = await _programme_currencies(events)
    now = utcnow()
    stored = []
    rates: dict[tuple, Decimal] = {}  # a batch reads each (currency, day, programme currency) rate once
    for event in events:
        if event.partner_id is None and event.offer_id in partners:
            event = replace(event, partner_id=partners[event.offer_id])
        value = None
        if event.value_minor is not None:
            target = currencies[event.programme_id]
            currency = event.currency or target
            key = (event.occurred_at.date(), currency, target)
            if key not in rates:
                rates[key] = await fx.rate_on(*key)
            value = fx.converted(event.value_minor, currency, rates[key], target)
        segment = event.segment or segments.get(event.recipient_id) or Segment()
        stored.append(StoredEvent(new_id(), event, now, segment.values(), value))
    return stored


def _in_utc(event: PerformanceEvent) -> PerformanceEvent:
    at = event.occurred_at
    return event if at.tzinfo is UTC else replace(event, occurred_at=as_utc(at))


async def _segments(events: Sequence[PerformanceEvent]) -> dict[uuid.UUID, Segment]:
    wanted = list({event.recipient_id for event in events if event.segment is None and event.recipient_id})
    found = await recipients.recipients_by_ids(SYSTEM, wanted) if wanted else {}
    return {rid: recipient_segment(view.country, view.hr_attributes) for rid, view in found.items()}


async def _partners(events: Sequence[PerformanceEvent]) -> dict[uuid.UUID, uuid.UUID]:
    wanted = list({event.offer_id for event in events if event.partner_id is None and event.offer_id})
    offers = await offer_rows.load_offers(wanted) if wanted else {}
    return {offer_id: offer.partner_id for offer_id, offer in offers.items()}


async def _programme_currencies(events: Sequence[PerformanceEvent]) -> dict[uuid.UUID, str]:
    wanted = {event.programme_id for event in events if event.value_minor is not None}
    return {programme_id: (await recipients.get_programme(SYSTEM, programme_id)).currency for programme_id in wanted}


async def store(stored: Sequence[StoredEvent]) -> tuple[set[uuid.UUID], list[uuid.UUID]]:
    """Write the facts not recorded before, and their roll-up deltas; the ids written, and the
    roll-up's ``insights.rollups_changed`` events to ring after commit. Runs in the caller's write
    transaction."""
    if not sql.is_sqlite():
        return await staging.record(EVENT_COLUMNS, [_event_values(row) for row in stored])
    keys = [(row.fact.kind, row.fact.source, row.fact.source_ref, row.id) for row in stored]
    written = await bulk.insert_rows(_INSERT_KEYS, keys, _NEW_KEYS)
    new_ids = {_uuid(row["event_id"]) for row in written}
    fresh = [row for row in stored if row.id in new_ids]
    await bulk.insert_rows(_INSERT_EVENTS, [_event_values(row) for row in fresh])
    changed = await rollup.add(fresh)
    return new_ids, changed


_INSERT_KEYS = "INSERT INTO insight_event_keys (kind, source, source_ref, event_id)"
_NEW_KEYS = "ON CONFLICT (kind, source, source_ref) DO NOTHING RETURNING event_id"
# insight_events' columns, in the order of :func:`_event_values`.
EVENT_COLUMNS = (
    "id", "kind", "occurred_at", "recorded_at", "programme_id", "partner_id", "offer_id", "campaign_id",
    "recipient_id", "issuance_id", "country", "business_unit", "department", "grade", "location", "value_minor",
    "currency", "programme_value_minor", "source", "source_ref",
)  # fmt: skip
_INSERT_EVENTS = f"INSERT INTO insight_events ({', '.join(EVENT_COLUMNS)})"


def _event_values(row: StoredEvent) -> tuple:
    fact = row.fact
    return (
        row.id,
        fact.kind,
        fact.occurred_at,
        row.recorded_at,
        fact.programme_id,
        fact.partner_id,
        fact.offer_id,
        fact.campaign_id,
        fact.recipient_id,
        fact.issuance_id,
        *row.segment,
        fact.value_minor,
        fact.currency,
        row.programme_value_minor,
        fact.source,
        fact.source_ref,
    )


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
