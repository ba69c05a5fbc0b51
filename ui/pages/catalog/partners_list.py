"""Partners: the list with status and onboarding-stage badges, filtered on the server; a new partner."""

from __future__ import annotations

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.partners.services import profiles, progress
from backend.partners.services.profiles import PartnerFilter
from backend.partners.views import ONBOARDING, PartnerView
from ui import navigation
from ui.components.flash import go
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.catalog.partner_form import edit_profile
from ui.pages.catalog.words import (
    PARTNER_STATUS_COLOURS,
    PARTNER_STATUSES,
    REWARD_TYPES,
    SOURCES,
    STAGES,
    category_words,
    country_options,
    stage_label,
)
from ui.session import signed_in
from ui.theme import frame

COLUMNS = [
    Column("name", "Partner", link=True),
    Column("source", "Source"),
    Column("category", "Category"),
    Column("countries", "Countries"),
    Column("reward_types", "Reward types", wrap=True),
    Column("status", "Status", badge=True),
    Column("stage", "Onboarding stage", badge=True),
]


def partner_url(partner_id: object) -> str:
    return f"{navigation.PARTNERS.path}/{partner_id}"


def _stage_badge(partner: PartnerView, stage: str | None, requested: bool) -> tuple[str, str]:
    if partner.status != ONBOARDING:
        return "Completed", "grey-5"
    if requested:  # every stage signed off and a checker's decision awaited
        return "Go-live requested", "orange-8"
    return (
        (f"{list(STAGES).index(stage) + 1}/{len(STAGES)} · {stage_label(stage)}", "primary")
        if stage
        else ("Ready for go-live", "positive")
    )


def _row(partner: PartnerView, stage: str | None, requested: bool = False) -> dict:
    stage_text, stage_colour = _stage_badge(partner, stage, requested)
    return {
        "id": str(partner.id),
        "href": partner_url(partner.id),
        "name": partner.name,
        "source": SOURCES.get(partner.source, partner.source),
        "category": category_words(partner.category),
        "countries": ", ".join(partner.countries),
        "reward_types": ", ".join(REWARD_TYPES.get(kind, kind) for kind in partner.reward_types),
        "status": PARTNER_STATUSES.get(partner.status, partner.status),
        "status_colour": PARTNER_STATUS_COLOURS.get(partner.status, "grey-7"),
        "stage": stage_text,
        "stage_colour": stage_colour,
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    wanted = request.filters
    page = await profiles.list_partners(
        actor,
        PartnerFilter(
            search=wanted.get("search"),
            status=wanted.get("status"),
            source=wanted.get("source"),
            category=wanted.get("category"),
            country=wanted.get("country"),
        ),
        request.offset,
        request.limit,
    )
    ids = [partner.id for partner in page.rows]
    stages, requested = await progress.current_stages(actor, ids), await progress.go_live_pending(actor, ids)
    return [_row(partner, stages.get(partner.id), partner.id in requested) for partner in page.rows], page.total


async def partners_page(status: str | None = None, search: str | None = None) -> None:
    actor = signed_in().actor
    with frame(navigation.PARTNERS.label, "Redemption partners, where each stands in onboarding, and who is live") as page:
        if actor.can(Permission.PARTNERS_WRITE):
            with page.actions:
                ui.button("New partner", icon="add_business", on_click=_create).props("unelevated no-caps").mark("new-partner")
        table = PagedTable(COLUMNS, _fetch, empty_text="No partners match", marker="partners-table")
        table.text_filter("search", "Search by name", value=search)
        table.select_filter("status", "Status", PARTNER_STATUSES, value=status, width="w-40")
        table.select_filter("source", "Source", SOURCES, width="w-44")
        table.select_filter("category", "Category", {c: category_words(c) for c in await profiles.distinct_categories(actor)})
        table.select_filter("country", "Country served", country_options(), width="w-56")
        await table.reload()


async def _create() -> None:
    created = await edit_profile()
    if created is not None:
        go(partner_url(created.id))
