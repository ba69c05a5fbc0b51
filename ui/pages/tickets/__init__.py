"""The console's support desk: the agent queue (mine / unassigned / breaching soon / all, nearest
SLA deadline first), a ticket (its links by name, the conversation, the SLA targets, the agent's
work on it) and logging a ticket that came by phone or email."""

from __future__ import annotations

from ui import navigation
from ui.auth import console_page
from ui.pages.tickets.log_ticket import log_ticket_page
from ui.pages.tickets.queue import tickets_page
from ui.pages.tickets.ticket import ticket_page


def register() -> None:
    console_page(navigation.TICKETS)(tickets_page)
    console_page(navigation.LOG_TICKET)(log_ticket_page)  # before /tickets/{ticket_id}, which would take "new"
    console_page(navigation.TICKETS, path=f"{navigation.TICKETS.path}/{{ticket_id}}")(ticket_page)
