"""The recipient page's tickets card: this person's complaints, newest first, each with its status
and SLA countdown and a link to the ticket. A list carries no ticket content (no audit read)."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.tickets.services import reading
from backend.tickets.services.reading import TicketFilter
from ui import navigation
from ui.components.display import when
from ui.pages.tickets.words import (
    CATEGORIES,
    PRIORITIES,
    PRIORITY_COLOURS,
    STATUS_COLOURS,
    STATUSES,
    badge_slot,
    countdown,
    countdown_colour,
    short_id,
)

SHOWN = 20
COLUMNS = [
    {"name": "reference", "label": "Ticket", "field": "reference", "align": "left"},
    {"name": "category", "label": "Problem", "field": "category", "align": "left"},
    {"name": "priority", "label": "Priority", "field": "priority", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "due", "label": "SLA", "field": "due", "align": "left"},
    {"name": "opened", "label": "Opened", "field": "opened", "align": "left"},
]


async def tickets_card(actor: Actor, recipient_id: uuid.UUID) -> None:
    if not actor.can(Permission.TICKETS_READ):
        return
    wanted = TicketFilter(recipient_id=recipient_id)
    found = await reading.list_tickets(actor, wanted, None, SHOWN)
    total = await reading.count_tickets(actor, wanted) if len(found) == SHOWN else len(found)
    now = utcnow()
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("recipient-tickets"):
        with ui.row().classes("items-center gap-2"):
            ui.icon(navigation.TICKETS.icon, color="primary")
            ui.label("Tickets").classes("text-subtitle1 text-weight-medium")
            if total > len(found):
                ui.label(f"the latest {len(found)} of {total:,}").classes("mb-muted text-body2")
        if not found:
            ui.label("No complaints from this person.").classes("mb-muted")
            return
        rows = [
            {
                "id": str(ticket.id),
                "href": f"{navigation.TICKETS.path}/{ticket.id}",
                "reference": short_id(ticket.id),
                "category": CATEGORIES.get(ticket.category, ticket.category),
                "priority": PRIORITIES.get(ticket.priority, ticket.priority),
                "priority_colour": PRIORITY_COLOURS.get(ticket.priority, "grey-7"),
                "status": STATUSES.get(ticket.status, ticket.status),
                "status_colour": STATUS_COLOURS.get(ticket.status, "grey-7"),
                "due": countdown(ticket.sla_due_at, now, ticket.status),
                "due_colour": countdown_colour(ticket.sla_due_at, now),
                "opened": when(ticket.created_at),
            }
            for ticket in found
        ]
        table = ui.table(columns=COLUMNS, rows=rows, row_key="id").classes("w-full mb-table").props("flat dense")
        table.mark("recipient-tickets-table")
        table.add_slot(
            "body-cell-reference",
            """<q-td :props="props"><a :href="props.row.href" class="text-primary text-weight-medium"
               style="text-decoration: none">{{ props.value }}</a></q-td>""",
        )
        for column in ("priority", "status", "due"):
            badge_slot(table, column)
