"""Steps the partner-review tests share: a partner's funnel recorded as events on a day."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time

from backend.insights import events
from backend.insights.events import PerformanceEvent

_refs = itertools.count()


async def funnel(shop, partner: int, day: date, *, views=0, activations=0, redemptions=0, spend_minor=0) -> None:
    """``views`` views, ``activations`` activations and ``redemptions`` redemptions of the partner's
    first offer on ``day``, and ``spend_minor`` of spend (INR) with the last redemption."""
    partner_id = shop.partners[partner].id
    offer_id = shop.offers[partner_id][0].id
    at = datetime.combine(day, time(12), tzinfo=UTC)
    facts = []
    for kind, count in (("viewed", views), ("activated", activations), ("redeemed", redemptions)):
        facts += [
            PerformanceEvent(
                kind=kind, occurred_at=at, programme_id=shop.programme_id, source="test", source_ref=f"{kind}-{next(_refs)}",
                offer_id=offer_id, recipient_id=shop.people[0],
            )
            for _ in range(count)
        ]  # fmt: skip
    if spend_minor:
        facts.append(
            PerformanceEvent(
                kind="spend", occurred_at=at, programme_id=shop.programme_id, source="test", source_ref=f"spend-{next(_refs)}",
                offer_id=offer_id, recipient_id=shop.people[0], value_minor=spend_minor, currency="INR",
            )
        )  # fmt: skip
    await events.record_events(facts)
