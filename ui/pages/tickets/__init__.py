"""The console's support desk: the agent queue (mine / unassigned / breaching soon / all, nearest
SLA deadline first), a ticket (its links by name, the conversation, the SLA targets, the agent's
work on it), logging a ticket that came by phone or email, and the monthly SLA report."""

from __future__ import annotations

from ui import navigation
from ui.auth import console_page


def register() -> None:
    # The pages are imported here, not at the top: importing one of this package's modules (its
    # words, a url) from another package must not pull in every page, which import each other.
    from ui.pages.tickets.desk_settings import desk_settings_page
    from ui.pages.tickets.log_ticket import log_ticket_page
    from ui.pages.tickets.queue import tickets_page
    from ui.pages.tickets.sla_report import sla_report_page
    from ui.pages.tickets.ticket import ticket_page

    console_page(navigation.TICKETS)(tickets_page)
    console_page(navigation.LOG_TICKET)(log_ticket_page)  # before /tickets/{ticket_id}, which would take "new"
    console_page(navigation.TICKETS, path=f"{navigation.TICKETS.path}/{{ticket_id}}")(ticket_page)
    console_page(navigation.SLA_REPORT)(sla_report_page)
    console_page(navigation.DESK_SETTINGS)(desk_settings_page)
