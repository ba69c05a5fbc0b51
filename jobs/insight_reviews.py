"""Partner-performance review jobs: the flags sweep (every minute: days without a redemption grow
with no event at all), the handler of ``insights.rollups_changed`` (written by the roll-up and by a
rebuild: the partners whose figures moved are judged at once), the monthly reviews (the 1st at
02:00 UTC), and the handler that emails a started review's report. Thin adapters over
backend.insights.reviews; the rules live there."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.cron import cron

from backend.core.outbox import Event
from backend.insights.reviews import flags, mailing, reviews
from backend.insights.reviews.views import REVIEW_STARTED, ROLLUPS_CHANGED

log = structlog.get_logger(__name__)


async def sweep_partner_flags(ctx: dict[str, Any]) -> int:
    result = await flags.sweep()
    return result.raised + result.cleared


async def start_monthly_partner_reviews(ctx: dict[str, Any]) -> int:
    made = await reviews.start_monthly_reviews()
    log.info("insights.monthly_reviews_started", reviews=made)
    return made


async def mail_review_report(event: Event) -> None:
    await mailing.mail_review_report(uuid.UUID(event.payload["review_id"]))


async def evaluate_changed_partners(event: Event) -> None:
    """Roll-ups changed (recorded events or a rebuild): judge those partners now."""
    partner_ids = {uuid.UUID(partner_id) for partner_id in event.payload.get("partner_ids", [])}
    await flags.evaluate_programme(uuid.UUID(event.payload["programme_id"]), partner_ids or None)


HANDLERS = {REVIEW_STARTED: mail_review_report, ROLLUPS_CHANGED: evaluate_changed_partners}


def cron_jobs(timeout: int) -> list:
    return [
        cron(sweep_partner_flags, name="cron:insights_flags_sweep", run_at_startup=True, timeout=timeout, second=30),
        cron(
            start_monthly_partner_reviews,
            name="cron:insights_monthly_reviews",
            timeout=timeout,
            day=1,
            hour=2,
            minute=0,
            second=0,
        ),
    ]
