"""Offers: the catalogue in rank order, filtered on the server, with the low-stock alert above it."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from nicegui import ui

from backend.catalog.services import offers, stock
from backend.catalog.services.offers import OfferFilter
from backend.catalog.views import OfferView
from backend.core.authz import Actor, Permission
from backend.partners.services import profiles
from ui import navigation
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.catalog.offer_editor import offer_url
from ui.pages.catalog.words import OFFER_STATUS_COLOURS, OFFER_STATUSES, country_options, denominations, expiry
from ui.session import signed_in
from ui.theme import frame

COLUMNS = [
    Column("rank", "Rank", align="right"),
    Column("title", "Offer", link=True),
    Column("code", "Code"),
    Column("partner", "Partner"),
    Column("country", "Country"),
    Column("denominations", "Denominations", wrap=True),
    Column("expiry", "Expiry"),
    Column("eligibility", "Eligibility", ellipsis=True),
    Column("status", "Status", badge=True),
]
MAX_PARTNERS = 200


def _row(offer: OfferView) -> dict:
    status_note = "" if offer.status != "live" or offer.partner_status == "live" else f" (partner {offer.partner_status})"
    return {
        "id": str(offer.id),
        "href": offer_url(offer.id),
        "rank": offer.rank,
        "title": offer.title,
        "code": offer.code,
        "partner": offer.partner_name,
        "country": offer.country,
        "denominations": denominations(offer.denominations, offer.currency),
        "expiry": expiry(offer.expiry),
        "eligibility": offer.eligibility_rule or "Everyone",
        "status": OFFER_STATUSES[offer.status] + status_note,
        "status_colour": OFFER_STATUS_COLOURS[offer.status],
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    wanted = request.filters
    page = await offers.list_offers(
        actor,
        OfferFilter(
            partner_id=uuid.UUID(wanted["partner"]) if wanted.get("partner") else None,
            country=wanted.get("country"),
            status=wanted.get("status"),
            search=wanted.get("search"),
        ),
        request.offset,
        request.limit,
    )
    return [_row(offer) for offer in page.rows], page.total


async def low_stock_alert(actor: Actor, offer_id: uuid.UUID | None = None) -> None:
    """Live offers at or below their low-stock threshold (only ``offer_id``'s, when given)."""
    low = [offer for offer in await stock.low_stock_offers(actor) if offer_id is None or offer.offer_id == offer_id]
    if not low:
        return
    with (
        ui.card()
        .classes("w-full q-pa-md gap-2 bg-orange-1")
        .style("border: 1px solid #f3c98b; box-shadow: none")
        .mark("low-stock-alert")
    ):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("inventory", color="orange-9", size="24px")
            ui.label("Low stock" if offer_id else f"Low stock on {len(low)} live offer{'s' if len(low) != 1 else ''}").classes(
                "text-subtitle1 text-weight-medium text-orange-10"
            )
        for offer in low:
            with ui.row().classes("items-center gap-2"):
                ui.link(offer.title, f"{offer_url(offer.offer_id)}/stock").classes("text-primary text-weight-medium")
                ui.label(
                    f"{offer.available:,} code{'s' if offer.available != 1 else ''} left; the alert is set at {offer.threshold:,}. "
                    "Import more voucher codes."
                ).classes("text-body2").mark(f"low-stock-{offer.offer_id}")


async def offers_page(partner: str | None = None, status: str | None = None) -> None:
    actor = signed_in().actor
    with frame(navigation.OFFERS.label, "The catalogue in the order recipients see it; eligibility and stock per offer") as page:
        if actor.can(Permission.CATALOG_WRITE):
            with page.actions:
                ui.button(
                    "Ranking", icon=navigation.RANKING.icon, on_click=lambda: ui.navigate.to(navigation.RANKING.path)
                ).props("outline no-caps").mark("open-ranking")
                ui.button(
                    "New offer",
                    icon="add",
                    on_click=lambda: ui.navigate.to(
                        f"{navigation.OFFERS.path}/new" + (f"?{urlencode({'partner': partner})}" if partner else "")
                    ),
                ).props("unelevated no-caps").mark("new-offer")
        await low_stock_alert(actor)
        partners = {str(p.id): p.name for p in (await profiles.list_partners(actor, limit=MAX_PARTNERS)).rows}
        table = PagedTable(COLUMNS, _fetch, empty_text="No offers match", marker="offers-table")
        table.text_filter("search", "Search by title")
        table.select_filter("partner", "Partner", partners, value=partner if partner in partners else None, width="w-56")
        table.select_filter("status", "Status", OFFER_STATUSES, value=status, width="w-36")
        table.select_filter("country", "Country", country_options(), width="w-56")
        await table.reload()
