"""A campaign's issuances, newest first, filtered by status and paged by the rewards service."""

from __future__ import annotations

from nicegui import ui

from backend.campaigns.views import CampaignView
from backend.core.authz import Actor
from backend.recipients import services as recipients
from backend.rewards.services import issuances
from backend.rewards.views import IssuanceView
from ui import navigation
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.channel_words import CHANNELS
from ui.pages.rewards.words import ISSUANCE_STATUS_COLOURS, ISSUANCE_STATUSES, amount


def issuance_columns(whose: Column) -> list[Column]:
    """The columns of a list of issuances, ``whose`` naming the other side (the recipient, or the campaign)."""
    return [
        Column("created_at", "Asked"),
        whose,
        Column("reward", "Reward"),
        Column("value", "Value", align="right"),
        Column("status", "Status", badge=True),
        Column("channel", "Channel"),
        Column("source_event", "Source", ellipsis=True),
        Column("decided", "Decided by"),
    ]


COLUMNS = issuance_columns(Column("recipient", "Recipient", link=True))


async def issuance_rows(actor: Actor, found: list[IssuanceView]) -> list[dict]:
    """Rows for a list of issuances: each names its recipient and offer (one query for each kind)."""
    people = await recipients.recipients_by_ids(actor, list({issuance.recipient_id for issuance in found}))
    offer_ids = list({issuance.offer_id for issuance in found if issuance.offer_id is not None})
    titles = await issuances.offer_titles(actor, offer_ids) if offer_ids else {}
    rows = []
    for issuance in found:
        person = people.get(issuance.recipient_id)
        rows.append(
            {
                "id": str(issuance.id),
                "created_at": when(issuance.created_at),
                "recipient": f"{person.full_name} ({person.external_id})" if person else str(issuance.recipient_id),
                "href": f"{navigation.RECIPIENTS.path}/{issuance.recipient_id}",
                "reward": "Points" if issuance.offer_id is None else titles.get(issuance.offer_id, "An offer no longer listed"),
                "value": amount(issuance.value, issuance.currency),
                "status": ISSUANCE_STATUSES.get(issuance.status, issuance.status),
                "status_colour": ISSUANCE_STATUS_COLOURS.get(issuance.status, "grey-7"),
                "channel": CHANNELS.get(issuance.channel, issuance.channel),
                "source_event": issuance.source_event or EMPTY,
                "decided": f"{issuance.decided_by_label} · {when(issuance.decided_at)}" if issuance.decided_by_label else EMPTY,
            }
        )
    return rows


def campaign_issuances(campaign: CampaignView, status: str | None = None) -> PagedTable:
    async def fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await issuances.list_issuances(
            actor, campaign.id, status=request.filters.get("status"), offset=request.offset, limit=request.limit
        )
        return await issuance_rows(actor, page.rows), page.total

    with ui.row().classes("items-center gap-2 q-mt-md"):
        ui.icon("redeem", color="primary")
        ui.label("Issuances").classes("text-subtitle1 text-weight-medium")
    table = PagedTable(COLUMNS, fetch, marker="campaign-issuances", empty_text="Nothing issued under this campaign yet")
    table.table.props("dense")
    table.select_filter("status", "Status", ISSUANCE_STATUSES, value=status, width="w-56")
    return table
