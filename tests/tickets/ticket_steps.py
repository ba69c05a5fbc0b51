"""Steps the ticket tests share."""

from __future__ import annotations

from backend.core import sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.ids import new_id
from backend.tickets.services.intake import TicketReport, open_ticket

AGENT = Actor(ActorKind.USER, new_id(), "Sam Support", frozenset({Permission.TICKETS_READ, Permission.TICKETS_WRITE}))
INTEGRATOR = Actor(ActorKind.API_KEY, new_id(), "helpdesk-key", frozenset({Permission.TICKETS_WRITE}))


async def report(issuance_id, category="code_invalid", message="The code is refused at the till", **changes):
    actor, key = changes.pop("actor", INTEGRATOR), changes.pop("idempotency_key", None)
    source = changes.pop("source", "api")
    return await open_ticket(
        actor, TicketReport(category=category, message=message, source=source, issuance_id=issuance_id, **changes), key
    )


async def ticket_row(ticket_id):
    return await sql.fetchrow("SELECT * FROM tickets WHERE id = $1", ticket_id)


async def steps(ticket_id):
    return list(await sql.fetch("SELECT * FROM ticket_sla_steps WHERE ticket = $1 ORDER BY target, kind", ticket_id))


async def count(table: str, where: str = "", *args) -> int:
    return int((await sql.fetchrow(f"SELECT COUNT(*) AS n FROM {table} {where}", *args))["n"])
