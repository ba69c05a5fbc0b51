"""Campaigns: every campaign with its rules in a line and its live counters, filtered and paged by
the campaign service."""

from __future__ import annotations

from nicegui import ui

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignFilter
from backend.campaigns.views import CampaignView
from backend.core.authz import Actor, Permission
from backend.recipients import services as recipients
from ui import navigation
from ui.components.display import when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.rewards.words import (
    APPROVAL_MODE_SHORT,
    CAMPAIGN_STATUS_COLOURS,
    CAMPAIGN_STATUSES,
    REWARD_TYPES,
    campaign_amount,
    limit_text,
)
from ui.session import signed_in
from ui.theme import frame

COLUMNS = [
    Column("name", "Campaign", link=True),
    Column("programme", "Programme"),
    Column("reward_type", "Rewards"),
    Column("approval_mode", "Approval"),
    Column("dates", "Runs"),
    Column("issued", "Issued", align="right"),
    Column("pending", "Waiting", align="right"),
    Column("remaining_count", "Rewards left", align="right"),
    Column("remaining_budget", "Budget left", align="right"),
    Column("status", "Status", badge=True),
]
MAX_PROGRAMMES = 200


def campaign_url(campaign_id: object) -> str:
    return f"{navigation.CAMPAIGNS.path}/{campaign_id}"


def _row(campaign: CampaignView, programmes: dict) -> dict:
    return {
        "id": str(campaign.id),
        "href": campaign_url(campaign.id),
        "name": campaign.name,
        "programme": programmes.get(campaign.programme_id, str(campaign.programme_id)),
        "reward_type": REWARD_TYPES[campaign.reward_type],
        "approval_mode": APPROVAL_MODE_SHORT[campaign.approval_mode],
        "dates": f"{when(campaign.starts_at, zone=False)} → {when(campaign.ends_at)}",
        "issued": f"{campaign.issued_count:,}",
        "pending": f"{campaign.pending_count:,}",
        "remaining_count": limit_text(campaign.remaining_count),
        "remaining_budget": "no limit" if campaign.budget is None else campaign_amount(campaign, campaign.remaining_budget),
        "status": CAMPAIGN_STATUSES[campaign.status],
        "status_colour": CAMPAIGN_STATUS_COLOURS[campaign.status],
    }


class CampaignsPage:
    def __init__(self) -> None:
        self.programmes: dict = {}

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        wanted = request.filters
        found = await campaigns.list_campaigns(
            actor, CampaignFilter(search=wanted.get("search"), status=wanted.get("status")), request.offset, request.limit
        )
        return [_row(campaign, self.programmes) for campaign in found.rows], found.total

    async def build(self, actor: Actor, search: str | None, status: str | None) -> None:
        self.programmes = {p.id: p.name for p in (await recipients.list_programmes(actor, limit=MAX_PROGRAMMES)).rows}
        with frame(navigation.CAMPAIGNS.label, "Who may be rewarded, with what, how much and with whose approval") as page:
            if actor.can(Permission.CAMPAIGNS_WRITE):
                with page.actions:
                    ui.button(
                        "New campaign", icon="add", on_click=lambda: ui.navigate.to(f"{navigation.CAMPAIGNS.path}/new")
                    ).props("unelevated no-caps").mark("new-campaign")
            table = PagedTable(COLUMNS, self.fetch, marker="campaigns-table", empty_text="No campaigns match")
            table.text_filter("search", "Search by name", value=search)
            table.select_filter("status", "Status", CAMPAIGN_STATUSES, value=status)
            await table.reload()


async def campaigns_page(search: str | None = None, status: str | None = None) -> None:
    await CampaignsPage().build(signed_in().actor, search, status)
