"""The recipient page's cards about what a person holds and received: points wallets (one a programme)
and deliveries, each read through its domain's service and shown only to those who may read it."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.deliveries.services import reading as deliveries
from backend.ledger.services import wallets
from backend.recipients import services as recipients
from ui.components.display import EMPTY, when
from ui.pages.channel_words import CHANNELS
from ui.pages.ledger.wallet import wallet_url

DELIVERY_STATUSES = {"pending": "Waiting", "sending": "Sending", "sent": "Sent", "failed": "Failed"}


def _card(title: str, icon: str, marker: str) -> ui.card:
    card = ui.card().classes("mb-card q-pa-md gap-2 w-full").mark(marker)
    with card, ui.row().classes("items-center gap-2"):
        ui.icon(icon, color="primary")
        ui.label(title).classes("text-subtitle1 text-weight-medium")
    return card


async def wallets_card(actor: Actor, recipient_id: uuid.UUID) -> None:
    if not actor.can(Permission.POINTS_READ):
        return
    held = await wallets.wallets_of(actor, recipient_id)
    names = {programme.id: programme.name for programme in (await recipients.list_programmes(actor, limit=200)).rows}
    with _card("Points wallets", "savings", "recipient-wallets"):
        if not held:
            ui.label("No points in any programme yet.").classes("mb-muted")
        for balance in held:
            with ui.row().classes("w-full items-center justify-between"):
                ui.link(names.get(balance.programme_id, "A programme"), wallet_url(recipient_id, balance.programme_id)).classes(
                    "text-primary text-body2"
                )
                ui.label(f"{balance.available:,} points available · {balance.pending:,} on hold").classes("text-body2")


async def deliveries_card(actor: Actor, recipient_id: uuid.UUID) -> None:
    if not actor.can(Permission.DELIVERIES_READ):
        return
    found = await deliveries.recipient_deliveries(actor, recipient_id, limit=20)
    with _card("Deliveries", "local_shipping", "recipient-deliveries"):
        if not found:
            ui.label("No rewards sent to this person yet.").classes("mb-muted")
            return
        rows = [
            {
                "id": str(delivery.id),
                "created_at": when(delivery.created_at),
                "channel": CHANNELS.get(delivery.channel, delivery.channel),
                "contact": delivery.contact or EMPTY,
                "status": DELIVERY_STATUSES.get(delivery.status, delivery.status),
                "why": delivery.failure_reason or EMPTY,
            }
            for delivery in found
        ]
        columns = [
            {"name": "created_at", "label": "Created", "field": "created_at", "align": "left"},
            {"name": "channel", "label": "Channel", "field": "channel", "align": "left"},
            {"name": "contact", "label": "Sent to", "field": "contact", "align": "left"},
            {"name": "status", "label": "Status", "field": "status", "align": "left"},
            {"name": "why", "label": "Why it failed", "field": "why", "align": "left"},
        ]
        ui.table(columns=columns, rows=rows, row_key="id").classes("w-full mb-table").props("flat dense").mark(
            "recipient-deliveries-table"
        )
