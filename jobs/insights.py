"""Insights jobs: the handlers of the claim page's, the catalogue's, the ledger's and the complaint desk's outbox events (recorded as performance events and
rolled up in the handler's transaction, so exactly once) and the cron that creates the events'
monthly partitions ahead. Thin adapters over backend.insights; the rules live there."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from arq.cron import cron

from backend.catalog.services.offer_views import OFFERS_VIEWED
from backend.core.clock import utcnow
from backend.core.outbox import Event
from backend.deliveries.services.claims import CLAIM_VIEWED, REWARD_ACTIVATED
from backend.insights import ingestion, partitions, redemptions
from backend.insights.events import ACTIVATED, VIEWED
from backend.ledger.services.points import POINTS_REVERSED
from backend.ledger.services.reservations import POINTS_REDEEMED
from backend.tickets.views import CODE_USE_CONFIRMED

log = structlog.get_logger(__name__)

_KIND_OF_TOPIC = {CLAIM_VIEWED: VIEWED, REWARD_ACTIVATED: ACTIVATED}


async def record_claim_event(event: Event) -> None:
    await ingestion.record_claim_event(_KIND_OF_TOPIC[event.topic], event.payload)


async def record_offers_viewed(event: Event) -> None:
    await ingestion.record_offers_viewed(event.id, event.payload)


async def create_event_partitions(ctx: dict[str, Any]) -> int:
    created = await partitions.ensure_ahead(utcnow().date())
    if created:
        log.info("insights.partitions_created", partitions=created)
    return len(created)


async def record_points_redeemed(event: Event) -> None:
    await ingestion.record_points_redeemed(event.payload)


async def record_points_reversed(event: Event) -> None:
    await ingestion.record_points_reversed(event.payload)


async def record_code_use_confirmed(event: Event) -> None:
    payload = event.payload
    await redemptions.record_code_use_confirmed(
        uuid.UUID(payload["issuance_id"]), datetime.fromisoformat(payload["confirmed_at"])
    )


HANDLERS = {
    CLAIM_VIEWED: record_claim_event,
    REWARD_ACTIVATED: record_claim_event,
    OFFERS_VIEWED: record_offers_viewed,
    POINTS_REDEEMED: record_points_redeemed,
    POINTS_REVERSED: record_points_reversed,
    CODE_USE_CONFIRMED: record_code_use_confirmed,
}


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [
        cron(
            create_event_partitions,
            name="cron:insights_partitions",
            run_at_startup=True,
            timeout=timeout,
            hour=2,
            minute=7,
            second=0,
        )
    ]
