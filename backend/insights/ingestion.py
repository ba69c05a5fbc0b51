"""What other domains tell insights, turned into performance events: the claim page's first view
and activation of a reward (deliveries' outbox events), offers shown through the catalogue API
(catalog's outbox event), a points reservation for an offer confirmed or reversed (the ledger's
outbox events), and a voucher code reported used by its partner (an API call or a CSV of used codes): a
redemption, and its value as spend."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.core.authz import SYSTEM
from backend.core.money import nearest_minor
from backend.insights.events import ACTIVATED, REDEEMED, REVERSED, SPEND, VIEWED, PerformanceEvent, record_events
from backend.recipients import services as recipients

CLAIM_PAGE = "claim_page"  # source of the claim page's events; the ref is the delivery
CATALOGUE = "catalogue"  # source of offers shown through the catalogue API; the ref is event:offer
LEDGER = "ledger"  # source of confirmed points reservations; the ref is the reservation
LEDGER_REVERSAL = "ledger_reversal"  # source of reversed points redemptions; the ref is the reversal transfer


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


async def record_claim_event(kind: str, payload: dict) -> uuid.UUID | None:
    """``reward.claim_viewed`` / ``reward.activated``: once per delivery and kind, however often
    the outbox hands it over. The segment is the recipient's when it is recorded."""
    if kind not in (VIEWED, ACTIVATED):
        raise ValueError(f"a claim event is viewed or activated, not {kind!r}")
    fact = PerformanceEvent(
        kind=kind,
        occurred_at=datetime.fromisoformat(payload["at"]),
        programme_id=uuid.UUID(payload["programme_id"]),
        source=CLAIM_PAGE,
        source_ref=payload["delivery_id"],
        offer_id=_uuid(payload.get("offer_id")),
        campaign_id=_uuid(payload.get("campaign_id")),
        recipient_id=_uuid(payload.get("recipient_id")),
        issuance_id=_uuid(payload.get("issuance_id")),
    )
    return (await record_events([fact]))[0]


async def record_offers_viewed(event_id: uuid.UUID, payload: dict) -> int:
    """``catalog.offers_viewed``: each offer on the page shown is a view, once per event."""
    facts = [
        PerformanceEvent(
            kind=VIEWED, occurred_at=datetime.fromisoformat(payload["at"]), programme_id=uuid.UUID(payload["programme_id"]),
            source=CATALOGUE, source_ref=f"{event_id}:{offer_id}", offer_id=uuid.UUID(offer_id),
            recipient_id=uuid.UUID(payload["recipient_id"]),
        )
        for offer_id in payload["offer_ids"]
    ]  # fmt: skip
    return sum(1 for event_id in await record_events(facts) if event_id is not None)


async def record_points_redeemed(payload: dict) -> bool:
    """``ledger.points_redeemed``: a confirmed reservation for an offer is a redemption of it, and
    the points spent, at the programme's value of a point, its spend. Once per reservation;
    whether it was new."""
    programme = await recipients.get_programme(SYSTEM, uuid.UUID(payload["programme_id"]))
    spend = nearest_minor(payload["points"] * programme.point_value, programme.currency)
    facts = redemption_facts(
        source=LEDGER, source_ref=payload["reservation_id"], occurred_at=datetime.fromisoformat(payload["occurred_at"]),
        programme_id=programme.id, offer_id=uuid.UUID(payload["offer_id"]), campaign_id=None,
        recipient_id=_uuid(payload.get("recipient_id")), issuance_id=None, value_minor=spend, currency=programme.currency,
    )  # fmt: skip
    return (await record_events(facts))[0] is not None


async def record_points_reversed(payload: dict) -> bool:
    """``ledger.points_reversed``: a refund of a confirmed reservation for an offer takes its points'
    value off the offer's spend and, once the whole redemption is reversed, one off its redemptions.
    Recorded on the reversal's own day (as every event lands in its own day; a closed month keeps
    its figures), in the recipient's segment. Each reversal's value is the difference of the
    points reversed so far before and after it, valued as the redemption was, so partial reversals
    adding up to the whole take back exactly the spend recorded. Once per reversal; whether new."""
    programme = await recipients.get_programme(SYSTEM, uuid.UUID(payload["programme_id"]))
    after = payload["reversed_points"]
    before = after - payload["points"]

    def value(points: int) -> int:
        return nearest_minor(points * programme.point_value, programme.currency)

    common = dict(
        occurred_at=datetime.fromisoformat(payload["occurred_at"]), programme_id=programme.id, source=LEDGER_REVERSAL,
        source_ref=payload["reversal_id"], offer_id=uuid.UUID(payload["offer_id"]),
        recipient_id=_uuid(payload.get("recipient_id")),
    )  # fmt: skip
    facts = [PerformanceEvent(kind=SPEND, value_minor=value(before) - value(after), currency=programme.currency, **common)]
    if after >= payload["redeemed_points"]:  # reversed in full: the redemption is undone
        facts.append(PerformanceEvent(kind=REVERSED, **common))
    return (await record_events(facts))[0] is not None


def redemption_facts(
    *,
    source: str,
    source_ref: str,
    occurred_at: datetime,
    programme_id: uuid.UUID,
    offer_id: uuid.UUID | None,
    campaign_id: uuid.UUID | None,
    recipient_id: uuid.UUID | None,
    issuance_id: uuid.UUID | None,
    value_minor: int,
    currency: str,
) -> list[PerformanceEvent]:
    """A redemption and its spend (the redeemed value), under one reference: recorded together,
    each once."""
    common = dict(
        occurred_at=occurred_at, programme_id=programme_id, source=source, source_ref=source_ref, offer_id=offer_id,
        campaign_id=campaign_id, recipient_id=recipient_id, issuance_id=issuance_id,
    )  # fmt: skip
    return [
        PerformanceEvent(kind=REDEEMED, value_minor=value_minor, currency=currency, **common),
        PerformanceEvent(kind=SPEND, value_minor=value_minor, currency=currency, **common),
    ]
