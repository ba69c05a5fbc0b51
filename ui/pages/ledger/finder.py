"""Find a recipient's wallet: search people by name, email or external id, open their points."""

from __future__ import annotations

from nicegui import ui

from backend.core.authz import Actor
from backend.recipients import services as recipients
from backend.recipients.services.search import RecipientFilter
from backend.recipients.services.views import RecipientView
from ui import navigation
from ui.components.display import EMPTY
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.ledger.wallet import wallet_url
from ui.theme import frame

COLUMNS = [
    Column("full_name", "Name", sortable=True, link=True),
    Column("external_id", "External id", sortable=True),
    Column("email", "Email", sortable=True),
    Column("country", "Country", sortable=True),
]


def _row(recipient: RecipientView) -> dict:
    return {
        "id": str(recipient.id),
        "href": wallet_url(recipient.id),
        "full_name": recipient.full_name,
        "external_id": recipient.external_id,
        "email": recipient.email or EMPTY,
        "country": recipient.country or EMPTY,
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    page = await recipients.search_recipients(
        actor,
        RecipientFilter(search=request.filters.get("search")),
        request.offset,
        request.limit,
        sort_by=request.sort_by or "full_name",
        descending=request.descending,
    )
    return [_row(recipient) for recipient in page.rows], page.total


async def finder_page(search: str | None, not_found: str | None = None) -> None:
    with frame(navigation.POINTS.label, "Find a recipient's wallet: search by name, email or external id, then open it"):
        if not_found:
            ui.label(f"There is no recipient with id {not_found}.").classes("text-negative").mark("wallet-not-found")
        table = PagedTable(COLUMNS, _fetch, sort_by="full_name", empty_text="No recipients match", marker="wallet-finder")
        table.text_filter("search", "Search name, email or external id", value=search, width="w-80")
        await table.reload()
