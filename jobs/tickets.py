"""Ticket jobs: the SLA escalation sweep and the retention purge (crons), and the handlers of the
escalation's notification events. Thin adapters over backend.tickets; the rules live there."""

from __future__ import annotations

from typing import Any

import structlog
from arq.cron import cron

from backend.core.outbox import Event
from backend.tickets.services import escalation, retention
from backend.tickets.views import SLA_BREACHED, SLA_WARNING

log = structlog.get_logger(__name__)


async def sweep_ticket_slas(ctx: dict[str, Any]) -> int:
    result = await escalation.sweep()
    if result.warnings or result.breaches:
        log.info("tickets.sla_escalated", warnings=result.warnings, breaches=result.breaches)
    return result.warnings + result.breaches


async def purge_ticket_contents(ctx: dict[str, Any]) -> int:
    purged = await retention.purge_expired_content()
    if purged:
        log.info("tickets.content_purged", tickets=purged)
    return purged


async def notify_escalation(event: Event) -> None:
    """The assignee and the programme's admins are told of a warning or a breach. For now the
    notification is this event and its log line; email through the delivery channels comes next."""
    log.info("tickets.escalation_notice", topic=event.topic, **event.payload)


HANDLERS = {SLA_WARNING: notify_escalation, SLA_BREACHED: notify_escalation}


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [
        cron(sweep_ticket_slas, name="cron:tickets_sla_sweep", run_at_startup=True, timeout=timeout, **schedule),
        cron(purge_ticket_contents, name="cron:tickets_retention_purge", timeout=timeout, minute=17, second=0),
    ]
