"""Reading tickets. A ticket's contents (subject, messages) are personal data: only roles holding
tickets:read see them, and every such read leaves an audit entry. Lists (the agent queue, the
filtered list) carry no contents, only what an agent sorts and picks by.

The agent queue: mine / unassigned / breaching soon / all active tickets, nearest SLA deadline
first, keyset-paged on (sla_due_at, id) through the migration's partial indexes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.errors import DomainError, NotFound
from backend.tickets.views import (
    ACTIVE_SQL,
    BREACH,
    CATEGORIES,
    NO_DEADLINE,
    PRIORITIES,
    STATUSES,
    MessageView,
    SlaTargetView,
    TicketSummary,
    TicketView,
    summary_view,
    ticket_view,
)

MINE, UNASSIGNED, BREACHING_SOON, ALL = "mine", "unassigned", "breaching_soon", "all"
QUEUE_VIEWS = (MINE, UNASSIGNED, BREACHING_SOON, ALL)
BREACHING_HORIZON = timedelta(hours=2)  # "breaching soon": a deadline within this (or already past)
MAX_PAGE = 500

_SUMMARY = "id, programme_id, category, priority, status, assignee_id, queue, sla_due_at, created_at"


@dataclass(frozen=True)
class TicketThread:
    ticket: TicketView
    messages: list[MessageView]
    targets: list[SlaTargetView]


async def get_ticket(actor: Actor, ticket_id: uuid.UUID, include_notes: bool = True) -> TicketThread:
    """The ticket with its messages and SLA targets; the read is audited."""
    actor.require(Permission.TICKETS_READ)
    row = await sql.fetchrow("SELECT * FROM tickets WHERE id = $1", ticket_id)
    if row is None:
        raise NotFound("ticket", ticket_id, field="id")
    messages = await sql.fetch(
        "SELECT id, kind, body, author_label, created_at FROM ticket_messages WHERE ticket = $1 ORDER BY created_at, id",
        ticket_id,
    )
    steps = await sql.fetch(
        f"SELECT target, state, due_at, stopped_at FROM ticket_sla_steps WHERE ticket = $1 AND kind = '{BREACH}' ORDER BY id",
        ticket_id,
    )
    await audit.record(actor, "ticket.read", "ticket", ticket_id)
    return TicketThread(
        ticket=ticket_view(row),
        messages=[
            MessageView(m["id"], m["kind"], m["body"], m["author_label"], as_utc(m["created_at"]))
            for m in messages
            if include_notes or m["kind"] != "note"
        ],
        targets=[
            SlaTargetView(
                target=s["target"],
                due_at=as_utc(s["due_at"]) if s["due_at"] is not None else None,
                breached=s["state"] == "done",
                met_or_ended=s["stopped_at"] is not None,
            )
            for s in steps
        ],
    )


@dataclass(frozen=True)
class TicketFilter:
    programme_id: uuid.UUID | None = None
    status: str | None = None
    category: str | None = None
    priority: str | None = None
    recipient_id: uuid.UUID | None = None
    issuance_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None


def _filter_sql(ticket_filter: TicketFilter) -> sql.Conditions:
    for name, allowed in (("status", STATUSES), ("category", CATEGORIES), ("priority", PRIORITIES)):
        value = getattr(ticket_filter, name)
        if value is not None and value not in allowed:
            raise DomainError.single(f"INVALID_{name.upper()}", f"a {name} is one of {', '.join(allowed)}", field=name)
    conditions = sql.Conditions()
    for clause, value in (
        ("programme_id = ?", ticket_filter.programme_id),
        ("status = ?", ticket_filter.status),
        ("category = ?", ticket_filter.category),
        ("priority = ?", ticket_filter.priority),
        ("recipient_id = ?", ticket_filter.recipient_id),
        ("issuance_id = ?", ticket_filter.issuance_id),
        ("assignee_id = ?", ticket_filter.assignee_id),
    ):
        conditions.when(clause, value)
    return conditions


_SELECT_SUMMARY = "SELECT " + _SUMMARY + " FROM tickets"
_ACTIVE = "status IN (" + ACTIVE_SQL + ")"
_COUNT = "SELECT COUNT(*) AS n FROM tickets"


async def list_tickets(actor: Actor, ticket_filter: TicketFilter, after: uuid.UUID | None, limit: int) -> list[TicketSummary]:
    """Newest first, strictly after the ticket ``after``."""
    actor.require(Permission.TICKETS_READ)
    conditions = _filter_sql(ticket_filter)
    conditions.when("id < ?", after)
    statement = conditions.statement(_SELECT_SUMMARY, "id DESC", max(1, min(limit, MAX_PAGE)))
    rows = await sql.fetch(statement, *conditions.args)
    return [summary_view(row) for row in rows]


async def count_tickets(actor: Actor, ticket_filter: TicketFilter) -> int:
    actor.require(Permission.TICKETS_READ)
    conditions = _filter_sql(ticket_filter)
    return int((await sql.fetchrow(conditions.statement(_COUNT), *conditions.args))["n"])


QueueKey = tuple[datetime, uuid.UUID]


def _queue_where(actor: Actor, view: str, programme_id: uuid.UUID | None, now: datetime | None) -> sql.Conditions:
    if view not in QUEUE_VIEWS:
        raise DomainError.single("INVALID_VIEW", f"a queue view is one of {', '.join(QUEUE_VIEWS)}", field="view")
    conditions = sql.Conditions()
    conditions.add_clause(_ACTIVE)
    if view == MINE:
        if actor.id is None:
            raise DomainError.single("NO_ASSIGNEE", "only a person has tickets of their own", field="view")
        conditions.add("assignee_id = ?", actor.id)
    elif view == UNASSIGNED:
        conditions.add_clause("assignee_id IS NULL")
    elif view == BREACHING_SOON:
        conditions.add("sla_due_at <= ?", (now or utcnow()) + BREACHING_HORIZON)
    conditions.when("programme_id = ?", programme_id)
    return conditions


async def agent_queue(
    actor: Actor,
    view: str,
    after: QueueKey | None = None,
    limit: int = 50,
    programme_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[TicketSummary]:
    """Active tickets of ``view``, nearest SLA deadline first (tickets waiting on the recipient last)."""
    actor.require(Permission.TICKETS_READ)
    conditions = _queue_where(actor, view, programme_id, now)
    if after is not None:
        conditions.add("(sla_due_at, id) > (?, ?)", *after)
    statement = conditions.statement(_SELECT_SUMMARY, "sla_due_at, id", max(1, min(limit, MAX_PAGE)))
    rows = await sql.fetch(statement, *conditions.args)
    return [summary_view(row) for row in rows]


async def count_queue(actor: Actor, view: str, programme_id: uuid.UUID | None = None, now: datetime | None = None) -> int:
    actor.require(Permission.TICKETS_READ)
    conditions = _queue_where(actor, view, programme_id, now)
    return int((await sql.fetchrow(conditions.statement(_COUNT), *conditions.args))["n"])


def queue_key(summary: TicketSummary) -> QueueKey:
    return (summary.sla_due_at or NO_DEADLINE, summary.id)
