"""The partner page's performance card: the partner's open flags — the figure, the threshold it
crossed, since when — or that none is open. Read before the page is drawn (``partner_flags``), so
the page appears whole."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.insights.reviews import flags
from backend.insights.reviews.views import FlagView
from ui import navigation
from ui.components.display import when


async def partner_flags(actor: Actor, partner_id: uuid.UUID) -> list[FlagView] | None:
    """The partner's open flags; None for someone who may not read reports (no card then)."""
    if not actor.can(Permission.REPORTS_READ):
        return None
    return await flags.open_flags(actor, partner_id=partner_id)


def performance_flags_card(found: list[FlagView] | None) -> None:
    if found is None:
        return
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("partner-performance-flags"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("flag", color="negative" if found else "positive")
            ui.label("Performance").classes("text-subtitle1 text-weight-medium")
        if not found:
            ui.label("Within every threshold of its programmes.").classes("mb-muted text-body2")
        for flag in found:
            with ui.column().classes("gap-0").mark("partner-flag"):
                ui.label(flag.words).classes("text-body2 text-negative")
                ui.label(f"Flagged since {when(flag.raised_at)}").classes("mb-muted text-caption")
        ui.link("Partner performance reviews", navigation.PARTNER_PERFORMANCE.path).classes("text-primary text-body2")
