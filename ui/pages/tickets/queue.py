"""The agent queue: mine / unassigned / breaching soon / all active tickets, nearest SLA deadline
first, each with its countdown in words; an agent claims an unassigned ticket from its row.

The service pages by key (sla_due_at, id), so the table keeps the key each page ends with."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.recipients import services as recipients
from backend.tickets.services import conversation, reading
from backend.tickets.views import TicketSummary
from ui import navigation
from ui.components.action import perform
from ui.components.display import when
from ui.components.keyset_pages import KeysetPages
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
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
from ui.session import signed_in
from ui.theme import frame

VIEWS = {
    reading.MINE: "Mine",
    reading.UNASSIGNED: "Unassigned",
    reading.BREACHING_SOON: "Breaching soon",
    reading.ALL: "All",
}
COLUMNS = [
    Column("reference", "Ticket", link=True),
    Column("category", "Problem"),
    Column("priority", "Priority"),
    Column("status", "Status"),
    Column("due", "SLA"),
    Column("assignee", "Assignee"),
    Column("programme", "Programme"),
    Column("opened", "Opened"),
]
CLAIM = RowAction("claim", "Claim", "back_hand")


def ticket_url(ticket_id) -> str:
    return f"{navigation.TICKETS.path}/{ticket_id}"


def assignee_words(actor: Actor, assignee_id: uuid.UUID | None) -> str:
    if assignee_id is None:
        return "Unassigned"
    return "You" if assignee_id == actor.id else "Another agent"


class QueuePage:
    def __init__(self, actor: Actor, view: str) -> None:
        self.actor = actor
        self.view = view if view in VIEWS else (reading.MINE if actor.id else reading.ALL)
        self.pages: KeysetPages = KeysetPages()
        self.programme_names: dict[uuid.UUID, str] = {}
        self.tab_labels: dict[str, ui.tab] = {}
        self.table: PagedTable | None = None

    @property
    def can_act(self) -> bool:
        return self.actor.can(Permission.TICKETS_WRITE)

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        now = utcnow()

        async def after(key, limit):
            found = await reading.agent_queue(actor, self.view, after=key, limit=limit, now=now)
            return found, reading.queue_key(found[-1]) if len(found) == limit else None

        found: list[TicketSummary] = await self.pages.page(self.view, request.offset, request.limit, after)
        await self._count_tabs(actor)
        return [await self._row(actor, ticket, now) for ticket in found], await reading.count_queue(actor, self.view, now=now)

    async def _count_tabs(self, actor: Actor) -> None:
        for view, tab in self.tab_labels.items():
            tab.props(f'label="{VIEWS[view]} ({await reading.count_queue(actor, view)})"')

    async def _programme(self, actor: Actor, programme_id: uuid.UUID) -> str:
        if programme_id not in self.programme_names:
            name = str(programme_id)
            if actor.can(Permission.RECIPIENTS_READ):
                name = (await recipients.get_programme(actor, programme_id)).name
            self.programme_names[programme_id] = name
        return self.programme_names[programme_id]

    async def _row(self, actor: Actor, ticket: TicketSummary, now) -> dict:
        return {
            "id": str(ticket.id),
            "href": ticket_url(ticket.id),
            "reference": short_id(ticket.id),
            "category": CATEGORIES.get(ticket.category, ticket.category),
            "priority": PRIORITIES.get(ticket.priority, ticket.priority),
            "priority_colour": PRIORITY_COLOURS.get(ticket.priority, "grey-7"),
            "status": STATUSES.get(ticket.status, ticket.status),
            "status_colour": STATUS_COLOURS.get(ticket.status, "grey-7"),
            "due": countdown(ticket.sla_due_at, now, ticket.status),
            "due_colour": countdown_colour(ticket.sla_due_at, now),
            "assignee": assignee_words(actor, ticket.assignee_id),
            "programme": await self._programme(actor, ticket.programme_id),
            "opened": when(ticket.created_at),
            "actions": ["claim"] if self.can_act and ticket.assignee_id is None and actor.id else [],
        }

    async def build(self) -> None:
        with frame(
            navigation.TICKETS.label,
            "Complaints to work, the nearest SLA deadline first. Open one to reply, add a note or change its status.",
        ) as page:
            if self.can_act:
                with page.actions:
                    ui.button("Log a ticket", icon="add_call", on_click=lambda: ui.navigate.to(navigation.LOG_TICKET.path)).props(
                        "unelevated no-caps"
                    ).mark("log-ticket")
            with (
                ui.tabs(value=self.view, on_change=self._switch)
                .props("no-caps align=left")
                .classes("text-primary")
                .mark("queue-tabs")
            ):
                for view, label in VIEWS.items():
                    if view == reading.MINE and self.actor.id is None:
                        continue
                    self.tab_labels[view] = ui.tab(view, label).mark(f"tab-{view}")
            if not self.can_act:
                ui.label("You can read tickets; claiming and working them need the tickets:write permission.").classes(
                    "mb-muted text-body2"
                ).mark("read-only-note")
            self.table = PagedTable(
                COLUMNS,
                self.fetch,
                actions=[CLAIM] if self.can_act else None,
                on_action=self.act,
                marker="queue-table",
                empty_text="No ticket here",
            )
            self.table.table.props("dense")
            for column in ("priority", "status", "due"):
                badge_slot(self.table.table, column)
        await self.table.reload()

    async def _switch(self, event) -> None:
        self.view = event.value
        self.pages = KeysetPages()
        await self.table.reload()

    async def act(self, action: str, row: dict) -> None:
        if action != "claim":
            return
        await perform(
            lambda actor: conversation.assign(actor, uuid.UUID(row["id"]), actor.id),
            done=f"Ticket {row['reference']} is yours now: it is in “Mine”.",
        )
        self.pages = KeysetPages()  # the row left "Unassigned": the keys of every page change
        await self.table.reload(first_page=False)


async def tickets_page(view: str = "") -> None:
    await QueuePage(signed_in().actor, view).build()
