"""On an upload's page: how many of its rewards were delivered, are on their way, or failed, with a
link to its failed deliveries (filtered on the Deliveries page, where they are fixed and resent)."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor
from backend.deliveries.services import statistics
from ui.pages.deliveries.deliveries_list import deliveries_url

TALLIES = (
    # accepted by the provider or confirmed by its callback
    ("delivered", "Delivered", "mark_email_read", "positive", lambda counts: counts.sent + counts.delivered),
    ("pending", "On the way", "schedule_send", "primary", lambda counts: counts.pending + counts.sending),
    ("failed", "Failed", "error", "negative", lambda counts: counts.failed),
)


async def upload_deliveries(actor: Actor, upload_id: uuid.UUID) -> None:
    """The card; nothing when none of the upload's rewards has a delivery yet."""
    counts = await statistics.upload_delivery_counts(actor, upload_id)
    if not counts.total:
        return
    with ui.card().classes("mb-card q-pa-md w-full gap-2").mark("upload-deliveries"):
        with ui.row().classes("items-center gap-2 w-full"):
            ui.icon("local_shipping", color="primary")
            ui.label("Deliveries of its rewards").classes("text-subtitle1 text-weight-medium")
            ui.space()
            if counts.failed:
                ui.link(f"See the {counts.failed:,} failed", deliveries_url(upload=str(upload_id), status="failed")).classes(
                    "text-negative text-body2 text-weight-medium"
                ).mark("upload-failed-link")
        with ui.row().classes("gap-8"):
            for name, label, icon, colour, count in TALLIES:
                value = count(counts)
                with ui.column().classes("gap-0"):
                    with ui.row().classes("items-center gap-1 no-wrap"):
                        ui.icon(icon, size="18px", color=colour if value else "grey-6")
                        ui.label(label).classes("text-body2")
                    ui.label(f"{value:,}").classes("text-h5 text-weight-bold").mark(f"upload-{name}")
