"""How tickets read on screen: categories, statuses, priorities and SLA targets in words, badge
colours, and an SLA deadline as a countdown an agent reads at a glance ("due in 2 h 10 min")."""

from __future__ import annotations

from datetime import datetime

from nicegui import ui

from backend.tickets.views import (
    AGENT,
    CLOSED,
    CODE_ALREADY_USED,
    CODE_INVALID,
    EXPIRED,
    FIRST_RESPONSE,
    HIGH,
    LOW,
    NEW,
    NEXT_RESPONSE,
    NORMAL,
    NOT_RECEIVED,
    NOTE,
    OPEN,
    OTHER,
    RECIPIENT,
    RESOLUTION,
    RESOLVED,
    URGENT,
    WAITING,
    WRONG_VALUE,
)
from ui.components.status_badge import status_badge, status_cell

CATEGORIES = {
    NOT_RECEIVED: "Not received",
    CODE_INVALID: "Code invalid",
    CODE_ALREADY_USED: "Code already used",
    EXPIRED: "Expired",
    WRONG_VALUE: "Wrong value",
    OTHER: "Other",
}
STATUSES = {NEW: "New", OPEN: "Open", WAITING: "Waiting on recipient", RESOLVED: "Resolved", CLOSED: "Closed"}
STATUS_COLOURS = {NEW: "primary", OPEN: "blue-8", WAITING: "orange-9", RESOLVED: "positive", CLOSED: "grey-7"}
PRIORITIES = {LOW: "Low", NORMAL: "Normal", HIGH: "High", URGENT: "Urgent"}
PRIORITY_COLOURS = {LOW: "grey-7", NORMAL: "blue-8", HIGH: "orange-9", URGENT: "negative"}
TARGETS = {FIRST_RESPONSE: "First response", NEXT_RESPONSE: "Next response", RESOLUTION: "Resolution"}
SOURCES = {"claim_page": "Claim page", "console": "Console", "api": "API"}
AUTHORS = {RECIPIENT: "Recipient", AGENT: "Agent reply", NOTE: "Internal note"}


def badge(text: str, colour: str, marker: str | None = None) -> ui.badge:
    return status_badge(text, colour, marker)


def badge_slot(table: ui.table, column: str) -> None:
    """The cell ``column`` of a table as a status, coloured by the row's ``<column>_colour``."""
    table.add_slot(f"body-cell-{column}", status_cell(column))


def duration(seconds: float) -> str:
    """A span in the largest two units an agent needs: "2 d 3 h", "2 h 10 min", "25 min", "under a minute"."""
    minutes = int(abs(seconds) // 60)
    days, hours, minutes = minutes // 1440, (minutes % 1440) // 60, minutes % 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def countdown(due_at: datetime | None, now: datetime, status: str | None = None) -> str:
    """An SLA deadline seen from ``now``; no deadline means every clock is paused (the ticket waits on
    the recipient, or is resolved) or has ended."""
    if due_at is None:
        return "SLA paused" if status in (WAITING, RESOLVED) else "no clock running"
    left = (due_at - now).total_seconds()
    return f"due in {duration(left)}" if left >= 0 else f"breached {duration(left)} ago"


def countdown_colour(due_at: datetime | None, now: datetime, soon_s: float = 7200) -> str:
    if due_at is None:
        return "grey-7"
    left = (due_at - now).total_seconds()
    return "negative" if left < 0 else "orange-9" if left <= soon_s else "positive"


def short_id(ticket_id) -> str:
    """A ticket's reference an agent can say on the phone: the last 8 of its id (UUIDv7's random tail)."""
    return "T-" + str(ticket_id).replace("-", "")[-8:].upper()
