"""Ticket jobs: the SLA escalation sweep and the retention purge (crons), and the handlers of the
escalation's notification events. Thin adapters over backend.tickets; the rules live there."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.cron import cron

from backend.access.escalation_contacts import breach_contacts
from backend.core import outbox
from backend.core.outbox import Event
from backend.deliveries.services import notices
from backend.tickets.services import breach_notices, escalation, retention
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
    """A warning: its log line (the queue shows the countdown)."""
    log.info("tickets.escalation_notice", topic=event.topic, **event.payload)


async def email_breach(event: Event) -> None:
    """A breach: the assignee and the programme's admins are emailed through the delivery channels,
    queued in the transaction that marks the event done (once); rung after it commits."""
    assignee = event.payload.get("assignee_id")
    emails = await breach_contacts(uuid.UUID(assignee) if assignee else None)
    queued = await breach_notices.queue_breach_emails(event.payload, emails)
    outbox.after_commit(lambda: notices.ring(queued))
    log.info("tickets.breach_emailed", ticket_id=event.payload.get("ticket_id"), emails=len(queued))


HANDLERS = {SLA_WARNING: notify_escalation, SLA_BREACHED: email_breach}


def cron_jobs(schedule: dict[str, Any], timeout: int) -> list:
    return [
        cron(sweep_ticket_slas, name="cron:tickets_sla_sweep", run_at_startup=True, timeout=timeout, **schedule),
        cron(purge_ticket_contents, name="cron:tickets_retention_purge", timeout=timeout, minute=17, second=0),
    ]
