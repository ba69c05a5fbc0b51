"""What the tickets services hand to adapters: frozen views, never table rows; and the desk's words."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.core.clock import as_utc, maybe_utc

NOT_RECEIVED, CODE_INVALID, CODE_ALREADY_USED = "not_received", "code_invalid", "code_already_used"
EXPIRED, WRONG_VALUE, OTHER = "expired", "wrong_value", "other"
CATEGORIES = (NOT_RECEIVED, CODE_INVALID, CODE_ALREADY_USED, EXPIRED, WRONG_VALUE, OTHER)

NEW, OPEN, WAITING, RESOLVED, CLOSED = "new", "open", "waiting_on_recipient", "resolved", "closed"
STATUSES = (NEW, OPEN, WAITING, RESOLVED, CLOSED)
ACTIVE = (NEW, OPEN, WAITING)  # the statuses of the migration's partial indexes: keep them in step
ACTIVE_SQL = ", ".join(f"'{status}'" for status in ACTIVE)  # constants, never values from outside

LOW, NORMAL, HIGH, URGENT = "low", "normal", "high", "urgent"
PRIORITIES = (LOW, NORMAL, HIGH, URGENT)

CLAIM_PAGE, CONSOLE, API = "claim_page", "console", "api"
SOURCES = (CLAIM_PAGE, CONSOLE, API)

RECIPIENT, AGENT, NOTE = "recipient", "agent", "note"  # message kinds

FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = "first_response", "next_response", "resolution"
TARGETS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)
WARNING, BREACH = "warning", "breach"
WARNING_SHARE = 0.8  # the warning step fires at 80 % of a target

# Outbox topics. ticket.status_changed is a webhook topic (backend/webhooks/topics.py); the two SLA
# topics are the escalation's notifications (jobs/tickets.py).
STATUS_CHANGED = "ticket.status_changed"
SLA_WARNING = "ticket.sla_warning"
SLA_BREACHED = "ticket.sla_breached"
# A "code already used" ticket resolved with the agent confirming the code was used: insights
# records it as a redemption of the reward (jobs/insights.py).
CODE_USE_CONFIRMED = "ticket.code_use_confirmed"

# ``sla_due_at`` of a ticket with no running clock (waiting on the recipient, resolved): sorts last.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)

PURGED = "[removed after the retention period]"


def _deadline(value) -> datetime | None:
    value = maybe_utc(value)
    return None if value is None or value >= NO_DEADLINE else value


@dataclass(frozen=True)
class TicketSummary:
    """A queue row: what an agent sorts by, with no personal content (a list is not a read of it)."""

    id: uuid.UUID
    programme_id: uuid.UUID
    category: str
    priority: str
    status: str
    assignee_id: uuid.UUID | None
    queue: str
    sla_due_at: datetime | None
    created_at: datetime


def summary_view(row) -> TicketSummary:
    return TicketSummary(
        id=row["id"],
        programme_id=row["programme_id"],
        category=row["category"],
        priority=row["priority"],
        status=row["status"],
        assignee_id=row["assignee_id"],
        queue=row["queue"],
        sla_due_at=_deadline(row["sla_due_at"]),
        created_at=as_utc(row["created_at"]),
    )


@dataclass(frozen=True)
class MessageView:
    id: uuid.UUID
    kind: str
    body: str
    author_label: str
    created_at: datetime


@dataclass(frozen=True)
class SlaTargetView:
    target: str
    due_at: datetime | None  # None while paused
    breached: bool
    met_or_ended: bool


@dataclass(frozen=True)
class TicketView:
    id: uuid.UUID
    programme_id: uuid.UUID
    recipient_id: uuid.UUID | None
    issuance_id: uuid.UUID | None
    delivery_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    offer_id: uuid.UUID | None
    partner_id: uuid.UUID | None
    reward_value: int | None
    currency: str | None
    category: str
    priority: str
    status: str
    source: str
    subject: str
    assignee_id: uuid.UUID | None
    queue: str
    reports: int
    sla_due_at: datetime | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    csat_score: int | None
    purged: bool
    created_at: datetime
    updated_at: datetime


def ticket_view(row) -> TicketView:
    return TicketView(
        id=row["id"],
        programme_id=row["programme_id"],
        recipient_id=row["recipient_id"],
        issuance_id=row["issuance_id"],
        delivery_id=row["delivery_id"],
        campaign_id=row["campaign_id"],
        offer_id=row["offer_id"],
        partner_id=row["partner_id"],
        reward_value=row["reward_value"],
        currency=row["currency"],
        category=row["category"],
        priority=row["priority"],
        status=row["status"],
        source=row["source"],
        subject=row["subject"],
        assignee_id=row["assignee_id"],
        queue=row["queue"],
        reports=row["reports"],
        sla_due_at=_deadline(row["sla_due_at"]),
        first_responded_at=maybe_utc(row["first_responded_at"]),
        resolved_at=maybe_utc(row["resolved_at"]),
        closed_at=maybe_utc(row["closed_at"]),
        csat_score=row["csat_score"],
        purged=row["purged_at"] is not None,
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
    )


@dataclass(frozen=True)
class OpenedTicket:
    """What openTicket returns: the ticket, and whether the report joined one already open."""

    ticket_id: uuid.UUID
    joined: bool
