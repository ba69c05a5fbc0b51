"""Opening a ticket: from the claim page, the console or the API. Links the reward, delivery,
campaign, offer and partner it is about; a second report on a reward whose ticket is still open
joins that ticket (the partial unique index decides, so two reports at once make one ticket)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.campaigns.services.campaigns import get_campaign
from backend.catalog.services.offers import get_offer
from backend.core import audit, idempotency, outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.deliveries.services.reading import delivery_of_reward
from backend.rewards.services.issuances import get_issuance
from backend.tickets import policy
from backend.tickets.services import clocks, conversation, desk, records
from backend.tickets.views import (
    ACTIVE_SQL,
    CATEGORIES,
    FIRST_RESPONSE,
    NEW,
    NO_DEADLINE,
    RECIPIENT,
    RESOLUTION,
    SOURCES,
    STATUS_CHANGED,
    OpenedTicket,
)

MAX_SUBJECT = 200


@dataclass(frozen=True)
class TicketReport:
    category: str
    message: str
    source: str
    subject: str = ""
    issuance_id: uuid.UUID | None = None
    programme_id: uuid.UUID | None = None  # needed only without a reward
    recipient_id: uuid.UUID | None = None


@dataclass(frozen=True)
class _Links:
    programme_id: uuid.UUID
    recipient_id: uuid.UUID | None
    issuance_id: uuid.UUID | None = None
    delivery_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    offer_id: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None
    reward_value: int | None = None
    currency: str | None = None


def _check(report: TicketReport) -> None:
    # A control character is refused before any rule reads the texts.
    check_text("subject", report.subject)
    check_text("message", report.message, multiline=True)
    if report.category not in CATEGORIES:
        raise DomainError.single("INVALID_CATEGORY", f"a category is one of {', '.join(CATEGORIES)}", field="category")
    if report.source not in SOURCES:
        raise DomainError.single("INVALID_SOURCE", f"a source is one of {', '.join(SOURCES)}", field="source")
    if len(report.subject) > MAX_SUBJECT:
        raise DomainError.single("SUBJECT_TOO_LONG", f"a subject is at most {MAX_SUBJECT} characters", field="subject")
    if report.issuance_id is None and report.programme_id is None:
        raise DomainError.single(
            "PROGRAMME_REQUIRED", "name the reward, or the programme when there is none", field="programme_id"
        )
    records.checked_body(report.message, "message")


async def _links(report: TicketReport) -> _Links:
    """What the ticket is about, read through the domains that own it (as the system: the caller's
    own right is tickets:write, checked before)."""
    if report.issuance_id is None:
        return _Links(programme_id=report.programme_id, recipient_id=report.recipient_id)
    try:
        issuance = await get_issuance(SYSTEM, report.issuance_id)
    except NotFound:
        raise DomainError.single("REWARD_NOT_FOUND", f"reward {report.issuance_id} does not exist", field="issuance_id") from None
    if report.recipient_id is not None and report.recipient_id != issuance.recipient_id:
        raise DomainError.single("RECIPIENT_MISMATCH", "this reward was issued to another recipient", field="recipient_id")
    campaign = await get_campaign(SYSTEM, issuance.campaign_id)
    offer = await get_offer(SYSTEM, issuance.offer_id) if issuance.offer_id else None
    delivery = await delivery_of_reward(SYSTEM, issuance.id)
    return _Links(
        programme_id=campaign.programme_id,
        recipient_id=issuance.recipient_id,
        issuance_id=issuance.id,
        delivery_id=delivery.id if delivery else None,
        campaign_id=campaign.id,
        offer_id=issuance.offer_id,
        partner_id=offer.partner_id if offer else None,
        reward_value=issuance.value,
        currency=issuance.currency,
    )


_INSERT = f"""INSERT INTO tickets (id, programme_id, recipient_id, issuance_id, delivery_id, campaign_id, offer_id, partner_id,
    reward_value, currency, category, priority, status, source, subject, assignee_id, queue, opened_by_label, sla_due_at,
    paused_at, first_responded_at, resolved_at, closed_at, reports, csat_score, csat_at, purged_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '{NEW}', $13, $14, NULL, 'support', $15, $16,
    NULL, NULL, NULL, NULL, 1, NULL, NULL, NULL, $17, $17)
ON CONFLICT (issuance_id) WHERE status IN ({ACTIVE_SQL}) AND issuance_id IS NOT NULL
DO NOTHING RETURNING id"""


async def open_ticket(actor: Actor, report: TicketReport, idempotency_key: str | None = None) -> OpenedTicket:
    actor.require(Permission.TICKETS_WRITE)
    request = idempotency.Request.of(actor, idempotency_key, "tickets.open", report.__dict__)  # checks the key
    _check(report)
    links = await _links(report)
    events: list[uuid.UUID] = []

    async def effect() -> OpenedTicket:
        events.clear()
        now = utcnow()
        settings = await desk.desk_settings(links.programme_id)
        priority = policy.priority_for(report.category, links.reward_value, settings.high_value_minor)
        ticket_id = new_id()
        inserted = await sql.fetch(
            _INSERT,
            ticket_id,
            links.programme_id,
            links.recipient_id,
            links.issuance_id,
            links.delivery_id,
            links.campaign_id,
            links.offer_id,
            links.partner_id,
            links.reward_value,
            links.currency,
            report.category,
            priority,
            report.source,
            report.subject.strip(),
            actor.label,
            NO_DEADLINE,
            now,
        )
        if not inserted:  # a ticket on this reward is open: the report joins it
            open_row = await sql.fetchrow(
                f"SELECT id FROM tickets WHERE issuance_id = $1 AND status IN ({ACTIVE_SQL})",
                links.issuance_id,
            )
            await sql.fetch("UPDATE tickets SET reports = reports + 1 WHERE id = $1", open_row["id"])
            events.extend(await conversation.recipient_message(open_row["id"], report.message, actor, now))
            await audit.record(actor, "ticket.report_joined", "ticket", open_row["id"], after={"category": report.category})
            return OpenedTicket(ticket_id=open_row["id"], joined=True)
        await records.add_message(ticket_id, RECIPIENT, records.checked_body(report.message, "message"), actor, now)
        targets = await desk.sla_targets(links.programme_id, priority)
        calendar = settings.calendar(now)
        for target in (FIRST_RESPONSE, RESOLUTION):
            await clocks.start(ticket_id, target, targets, calendar, now)
        await clocks.refresh_deadline([ticket_id])
        await audit.record(
            actor,
            "ticket.opened",
            "ticket",
            ticket_id,
            after={"category": report.category, "priority": priority, "source": report.source, "issuance_id": links.issuance_id},
        )
        events.append(
            await outbox.add(
                STATUS_CHANGED,
                {
                    "ticket_id": str(ticket_id),
                    "programme_id": str(links.programme_id),
                    "issuance_id": str(links.issuance_id) if links.issuance_id else None,
                    "previous_status": None,
                    "status": NEW,
                    "priority": priority,
                    "changed_at": now.isoformat(),
                },
            )
        )
        return OpenedTicket(ticket_id=ticket_id, joined=False)

    outcome = await idempotency.once(request, effect, OpenedTicket)
    if not outcome.replayed:
        await outbox.ring(events)
    return outcome.value
