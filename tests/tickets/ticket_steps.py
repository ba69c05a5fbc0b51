"""Steps the ticket tests share."""

from __future__ import annotations

from backend.core import sql
from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.ids import new_id
from backend.ledger import services as ledger
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
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


async def count(statement: str, *args) -> int:
    """The one number a ``SELECT COUNT(*) …`` statement returns, its values bound."""
    row = await sql.fetchrow(statement, *args)
    return int(next(iter(row.values())))


async def redeemed_ticket(admin):
    """A programme, a wallet with 1,000 points and a confirmed 400-point redemption; a ticket about it."""
    programme = await recipients.create_programme(admin, "Points club", "INR", "0.25")
    asha = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="EMP-9", full_name="Asha", email="a@example.com"))
    ).recipient
    await ledger.earn(admin, programme.id, asha.id, 1000, source="campaign")
    held = await ledger.reserve(admin, programme.id, asha.id, 400, source="marketplace")
    confirmed = await ledger.confirm(admin, held.reservation.id)
    ticket = await open_ticket(
        SYSTEM,
        TicketReport(
            category="wrong_value",
            message="charged but no voucher",
            source="console",
            programme_id=programme.id,
            recipient_id=asha.id,
        ),
    )
    return programme, asha, confirmed.transfer.id, ticket.ticket_id
