"""A recipient's rewards across campaigns, newest first: the rewards part of their history on the
recipient page."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.campaigns.services import campaigns
from backend.core.authz import Actor, Permission
from backend.deliveries.services import listing
from backend.rewards.services import issuances
from ui.components.display import EMPTY
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.pages.deliveries.timeline import timeline_url
from ui.pages.deliveries.words import DELIVERY_STATUSES
from ui.pages.rewards.campaign_issuances import issuance_columns, issuance_rows
from ui.pages.rewards.campaigns_list import campaign_url
from ui.session import signed_in

COLUMNS = [*issuance_columns(Column("campaign", "Campaign", link=True)), Column("delivery", "Delivery")]
DELIVERY = RowAction("delivery", "Delivery", "local_shipping")  # the reward's delivery timeline


def recipient_rewards(recipient_id: uuid.UUID, full_name: str) -> PagedTable:
    """The card with the table; ``await table.reload()`` once the page is built."""
    names: dict[uuid.UUID, str] = {}
    sees_deliveries = signed_in().actor.can(Permission.DELIVERIES_READ)

    async def fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await issuances.recipient_issuances(actor, recipient_id, request.offset, request.limit)
        unnamed = {issuance.campaign_id for issuance in page.rows} - names.keys()
        if unnamed:
            found = await campaigns.campaigns_by_ids(actor, unnamed)
            names.update(
                {campaign_id: found[campaign_id].name if campaign_id in found else str(campaign_id) for campaign_id in unnamed}
            )
        rows = await issuance_rows(actor, page.rows)
        sent = await listing.deliveries_of_rewards(actor, [i.id for i in page.rows]) if sees_deliveries else {}
        for row, issuance in zip(rows, page.rows):
            row.update(
                campaign=names[issuance.campaign_id],
                href=campaign_url(issuance.campaign_id),
                actions=["delivery"] if sees_deliveries and issuance.status == "issued" else [],
                delivery=DELIVERY_STATUSES.get(sent[issuance.id].status, sent[issuance.id].status)
                if issuance.id in sent
                else EMPTY,
            )
        return rows, page.total

    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("recipient-rewards"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("redeem", color="primary")
            ui.label("Rewards").classes("text-subtitle1 text-weight-medium")
        table = PagedTable(
            COLUMNS,
            fetch,
            rows_per_page=10,
            actions=[DELIVERY] if sees_deliveries else None,
            on_action=lambda _, row: ui.navigate.to(timeline_url(row["id"])),
            marker="recipient-rewards-table",
            empty_text=f"No rewards issued to {full_name} yet",
        )
        table.table.props("dense")
    return table
