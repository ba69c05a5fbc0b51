"""Tickets: the complaint desk, with SLA clocks in business time, escalation and the agent queue."""

import os

from piccolo.conf.apps import AppConfig

from backend.tickets.tables import (
    SlaPolicy,
    Ticket,
    TicketAction,
    TicketAttachment,
    TicketDeskSettings,
    TicketMessage,
    TicketSlaStep,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="tickets",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Ticket, TicketMessage, TicketSlaStep, TicketDeskSettings, SlaPolicy, TicketAction, TicketAttachment],
    migration_dependencies=["backend.core.piccolo_app"],
    commands=[],
)
