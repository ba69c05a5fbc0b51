"""The breach action's emails: the escalation sweep writes a ``ticket.sla_breached`` event in the
transaction that takes the step (once, whatever the number of workers); its handler queues one
email per person through the delivery channels in the transaction that marks the event done, so a
redelivered event finds it done and sends nothing twice. Who is told (the assignee, the programme's
admins) is the access domain's answer, handed in by the worker."""

from __future__ import annotations

import uuid

from backend.core import sql
from backend.deliveries.services import notices
from backend.deliveries.services.notices import NoticeRequest

TICKET_BREACH = "ticket_breach"
EMAIL = "email"
_TARGETS = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}


async def queue_breach_emails(payload: dict, emails: list[str]) -> list[uuid.UUID]:
    """In the caller's transaction: an email to each address about the breached ticket; their ids."""
    ticket_id = uuid.UUID(payload["ticket_id"])
    row = await sql.fetchrow("SELECT id, programme_id, category, priority, queue FROM tickets WHERE id = $1", ticket_id)
    if row is None:
        return []
    target = _TARGETS.get(payload.get("target", ""), payload.get("target", "a target"))
    subject = f"SLA breached: ticket {str(ticket_id)[-8:]} missed its {target} target"
    text = (
        f"Ticket {ticket_id} ({row['category'].replace('_', ' ')}) missed its {target} target, "
        f"due {payload.get('due_at', '')}.\n\n"
        f"It is now {row['priority']} priority, in the {row['queue']} queue.\n\n"
        f"Open it in the console: /tickets/{ticket_id}"
    )
    return [
        await notices.queue_notice(
            NoticeRequest(
                programme_id=row["programme_id"],
                about_kind=TICKET_BREACH,
                about_id=ticket_id,
                channel=EMAIL,
                contact=email,
                subject=subject,
                text=text,
            )
        )
        for email in emails
    ]
