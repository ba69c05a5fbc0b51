"""Ranking: put the catalogue in the order recipients see it, by dragging offers (HTML5 drag and drop)
or with the up and down buttons (the keyboard's way). Nothing changes until "Save order", which
re-ranks in one transaction; a country filter re-ranks that country's offers among their places."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.catalog.services import offers, ranking
from backend.catalog.services.offers import OfferFilter
from backend.catalog.views import OfferView
from ui import navigation
from ui.components.action import perform
from ui.components.status_badge import status_badge
from ui.pages.catalog.offer_editor import offer_url
from ui.pages.catalog.words import OFFER_STATUS_COLOURS, OFFER_STATUSES, country_options
from ui.session import signed_in
from ui.theme import frame

MAX_RANKED = 200  # the service pages at 200: a longer catalogue is ranked a country at a time

_STYLE = """
.mb-rank-card { cursor: grab; transition: background .15s; }
.mb-rank-card:active { cursor: grabbing; }
.mb-rank-card.mb-drop-target { background: #ece6f6; border-color: #5b3f8f; }
"""


class RankingPage:
    def __init__(self) -> None:
        self.saved: list[OfferView] = []
        self.order: list[OfferView] = []
        self.dragged: uuid.UUID | None = None
        self.country: str | None = None
        self.list_box: ui.column | None = None

    async def build(self, country: str | None) -> None:
        self.country = country
        ui.add_css(_STYLE)
        with frame(navigation.RANKING.label, "Drag offers into the order recipients should see them, then save") as page:
            with page.actions:
                self.reset_button = (
                    ui.button("Undo changes", icon="undo", on_click=self.reset).props("flat no-caps").mark("reset-order")
                )
                self.save_button = (
                    ui.button("Save order", icon="save", on_click=self.save).props("unelevated no-caps").mark("save-order")
                )
            with ui.row().classes("w-full items-center gap-3"):
                ui.select(
                    country_options(),
                    label="Only offers in",
                    with_input=True,
                    clearable=True,
                    value=country,
                    on_change=lambda e: self.load(e.value),
                ).props("dense outlined options-dense").classes("w-64").mark("ranking-country")
                self.hint = ui.label().classes("mb-muted text-body2").mark("ranking-hint")
            self.list_box = ui.column().classes("w-full gap-2").mark("ranking-list")
        await self.load(country)

    async def load(self, country: str | None) -> None:
        self.country = country
        page = await offers.list_offers(signed_in().actor, OfferFilter(country=country), limit=MAX_RANKED)
        self.saved, self.order = list(page.rows), list(page.rows)
        cut = f" (the first {MAX_RANKED} of {page.total:,}: choose a country)" if page.total > MAX_RANKED else ""
        self.hint.set_text(
            f"{len(self.order)} offers in {country}; they swap among the places they hold now"
            if country
            else f"All {len(self.order)} offers{cut}"
        )
        self.render()

    @property
    def changed(self) -> bool:
        return [o.id for o in self.order] != [o.id for o in self.saved]

    def render(self) -> None:
        self.list_box.clear()
        places = [offer.rank for offer in self.saved]  # the order fills the places the offers hold now
        with self.list_box:
            if not self.order:
                ui.label("No offers to rank.").classes("mb-muted")
            for index, offer in enumerate(self.order):
                self._card(index, offer, places[index])
        if self.changed:
            self.save_button.props(remove="disable")
        else:
            self.save_button.props("disable")
        self.reset_button.set_visibility(self.changed)

    def _card(self, index: int, offer: OfferView, place: int) -> None:
        moved = offer.id != self.saved[index].id
        card = ui.card().classes("mb-card mb-rank-card q-px-md q-py-sm w-full").props("draggable").mark(f"rank-{offer.id}")
        if moved:
            card.style("border-left: 4px solid #e0a526")
        card.on("dragstart", lambda o=offer: self._drag(o.id))
        card.on("dragover.prevent", js_handler="(e) => e.currentTarget.classList.add('mb-drop-target')")
        card.on("dragleave", js_handler="(e) => e.currentTarget.classList.remove('mb-drop-target')")
        card.on("drop", lambda o=offer: self._drop(o.id))
        with card, ui.row().classes("w-full items-center no-wrap gap-3"):
            ui.icon("drag_indicator", color="grey-6")
            ui.label(str(place)).classes("text-h6 text-weight-bold text-primary w-8 text-right").mark("rank-place")
            with ui.column().classes("gap-0 grow"):
                ui.link(offer.title, offer_url(offer.id)).classes("text-body1 text-weight-medium text-grey-10").style(
                    "text-decoration: none"
                )
                ui.label(f"{offer.partner_name} · {offer.country} · {offer.category}").classes("mb-muted text-caption")
            status_badge(OFFER_STATUSES[offer.status], OFFER_STATUS_COLOURS[offer.status])
            ui.button(icon="arrow_upward", on_click=lambda i=index: self._move(i, i - 1)).props(
                f"flat round dense aria-label='Move up' {'disable' if index == 0 else ''}"
            ).mark(f"up-{offer.id}")
            ui.button(icon="arrow_downward", on_click=lambda i=index: self._move(i, i + 1)).props(
                f"flat round dense aria-label='Move down' {'disable' if index == len(self.order) - 1 else ''}"
            ).mark(f"down-{offer.id}")

    def _drag(self, offer_id: uuid.UUID) -> None:
        self.dragged = offer_id

    def _drop(self, target_id: uuid.UUID) -> None:
        ids = [offer.id for offer in self.order]
        if self.dragged is None or self.dragged not in ids or self.dragged == target_id:
            self.render()  # clears the drop highlight
            return
        self._move(ids.index(self.dragged), ids.index(target_id))
        self.dragged = None

    def _move(self, source: int, target: int) -> None:
        if not (0 <= source < len(self.order) and 0 <= target < len(self.order)):
            return
        offer = self.order.pop(source)
        self.order.insert(target, offer)
        self.render()

    def reset(self) -> None:
        self.order = list(self.saved)
        self.render()

    async def save(self) -> None:
        if not self.changed:
            return
        where = f" in {self.country}" if self.country else ""
        saved = await perform(
            lambda actor: ranking.rerank_offers(actor, [offer.id for offer in self.order]),
            done=lambda found: f"Saved the new order of {len(found)} offers{where}.",
        )
        if saved is not None:
            await self.load(self.country)


async def ranking_page(country: str | None = None) -> None:
    await RankingPage().build(country)
