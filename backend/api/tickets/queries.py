"""Tickets queries: the list (newest first, or an agent queue nearest deadline first) and one ticket."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from backend.api.errors import query_refusals
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.partners.ids import entity_id
from backend.api.permissions import requires
from backend.api.tickets.types import Ticket, TicketFilterInput, TicketSummary
from backend.core.authz import Permission
from backend.core.errors import NotFound
from backend.tickets.services import reading


def _queue_key(text: str) -> reading.QueueKey:
    due, _, ticket_id = text.partition("|")
    return datetime.fromisoformat(due), uuid.UUID(ticket_id)


@strawberry.type
class TicketQueries:
    @strawberry.field(
        extensions=requires(Permission.TICKETS_READ),
        description="Tickets newest first, filtered; with `filter.queue`, an agent queue nearest SLA deadline first.",
    )
    async def tickets(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[TicketFilterInput | None, strawberry.argument(name="filter")] = None,
    ) -> Connection[TicketSummary]:
        actor = info.context.actor
        with query_refusals():
            ticket_filter = filter_.to_domain() if filter_ else reading.TicketFilter()
        if filter_ is not None and filter_.queue is not None:
            view = filter_.queue.value

            async def queue_page(after_key, limit):
                with query_refusals():
                    return await reading.agent_queue(actor, view, after_key, limit, ticket_filter.programme_id)

            async def queue_count() -> int:
                with query_refusals():
                    return await reading.count_queue(actor, view, ticket_filter.programme_id)

            return await keyset_connection(
                list_name="ticket-queue",
                first=first,
                after=after,
                fetch=queue_page,
                count=queue_count,
                key=lambda row: "|".join(str(part) for part in reading.queue_key(row)),
                node=TicketSummary.from_view,
                parse_key=_queue_key,
            )

        async def fetch(after_id, limit):
            with query_refusals():
                return await reading.list_tickets(actor, ticket_filter, after_id, limit)

        async def count() -> int:
            with query_refusals():
                return await reading.count_tickets(actor, ticket_filter)

        return await keyset_connection(
            list_name="tickets",
            first=first,
            after=after,
            fetch=fetch,
            count=count,
            key=lambda row: row.id,
            node=TicketSummary.from_view,
        )

    @strawberry.field(
        extensions=requires(Permission.TICKETS_READ), description="One ticket with its thread; null if none. Audited."
    )
    async def ticket(self, info: strawberry.Info, id: strawberry.ID) -> Ticket | None:
        with query_refusals():
            ticket_id = entity_id(id, "ticket", "id")
            try:
                thread = await reading.get_ticket(info.context.actor, ticket_id)
            except NotFound:
                return None
        return Ticket.from_thread(thread)
