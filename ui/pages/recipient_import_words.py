"""The words of recipient imports: sources, statuses and what a row would do, with their colours."""

from __future__ import annotations

from backend.recipients.imports.views import (
    APPLIED,
    APPLYING,
    CHECKING,
    CREATE,
    DISCARDED,
    REFUSED,
    REJECTED,
    REVIEWED,
    UNCHANGED,
    UPDATE,
)
from ui import navigation

SOURCES = {
    "workday": "Workday",
    "successfactors": "SAP SuccessFactors",
    "darwinbox": "Darwinbox",
    "custom": "Another system (your own mapping)",
}
IMPORT_STATUSES = {
    CHECKING: ("Checking", "info"),
    REFUSED: ("File refused", "negative"),
    REVIEWED: ("Ready to apply", "warning"),
    APPLYING: ("Applying", "info"),
    APPLIED: ("Applied", "positive"),
    DISCARDED: ("Discarded", "grey-7"),
}
ROW_ACTIONS = {
    CREATE: ("New recipient", "positive"),
    UPDATE: ("Changes", "primary"),
    UNCHANGED: ("No change", "grey-7"),
    REJECTED: ("Rejected", "negative"),
}


def import_url(import_id: object) -> str:
    return f"{navigation.RECIPIENT_IMPORTS.path}/{import_id}"
