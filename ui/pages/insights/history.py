"""The corrective actions taken on a partner, newest first: what, who, when, and how a decision or
a promotional push stands (sent of total)."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.insights.actions.services import promotion, records
from backend.insights.actions.views import APPROVED, DONE, PENDING, PROMOTION, REJECTED, ActionView
from ui.components.display import when

SHOWN = 10
STATUS_COLOURS = {DONE: "primary", PENDING: "warning", APPROVED: "positive", REJECTED: "negative"}


async def _progress(actor: Actor, action) -> str:
    sent = await promotion.promotion_progress(actor, action)
    if sent is None:
        return ""
    if sent.status == "sent":
        return f"sent to {sent.sent:,} of {sent.total:,}" + (f", {sent.failed:,} failed" if sent.failed else "")
    return f"sending: {sent.sent + sent.failed:,} of {sent.total:,} done"


async def partner_actions(actor: Actor, partner_id: uuid.UUID) -> list[tuple[ActionView, str]]:
    """The partner's latest actions with a promotion's progress in words (read before the page is drawn)."""
    if not actor.can(Permission.REPORTS_READ):
        return []
    found = await records.list_actions(actor, partner_id=partner_id, limit=SHOWN)
    return [(action, await _progress(actor, action) if action.kind == PROMOTION else "") for action in found]


def actions_history(found: list[tuple[ActionView, str]]) -> None:
    """A card of the partner's latest corrective actions (nothing when there are none)."""
    if not found:
        return
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("corrective-history"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("build", color="primary")
            ui.label("Corrective actions").classes("text-subtitle1 text-weight-medium")
        for action, progress in found:
            with ui.column().classes("gap-0 w-full").mark("corrective-history-item"):
                with ui.row().classes("w-full items-center justify-between no-wrap gap-2"):
                    ui.label(action.summary).classes("text-body2")
                    ui.badge(action.status.capitalize(), color=STATUS_COLOURS.get(action.status, "grey")).classes("q-px-sm")
                detail = f"{action.requested_by_label}, {when(action.requested_at)}"
                if action.decided_at is not None:
                    detail += f" · decided by {action.decided_by_label}"
                if progress:
                    detail += f" · {progress}"
                ui.label(detail).classes("mb-muted text-caption")
