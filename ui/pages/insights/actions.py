"""Corrective actions as dialogs, opened from a partner's page (its "Corrective actions" menu) and
from a monthly review (which passes its ``review_id``, so the decision is recorded on it): re-rank
offers, refresh a listing, a promotional push to a segment, segment routing, and replacing the
partner (``replace_dialog``). Each dialog calls one service of ``backend.insights.actions`` and
says what was done; a refused action shows the rule beside its field."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.catalog.services import offers
from backend.catalog.services.offers import OfferFilter
from backend.catalog.views import LIVE, RETIRED
from backend.core.authz import Actor, Permission
from backend.insights.actions.services import catalogue_actions, promotion
from backend.recipients import services as recipients
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.pages.catalog.eligibility_preview import EligibilityPreview
from ui.pages.insights.replace_dialog import open_replace_dialog
from ui.session import signed_in

__all__ = [
    "corrective_actions_button",
    "open_promotion_dialog",
    "open_refresh_dialog",
    "open_replace_dialog",
    "open_rerank_dialog",
    "open_routing_dialog",
]


def _actor() -> Actor:
    return signed_in().actor


def _card(title: str, marker: str, subtitle: str = "") -> ui.card:
    card = ui.card().classes("q-pa-lg w-[720px] max-w-[95vw] gap-3").mark(marker)
    with card:
        ui.label(title).classes("text-h6")
        if subtitle:
            ui.label(subtitle).classes("mb-muted text-body2")
    return card


def _buttons(dialog: ui.dialog, label: str, on_click, marker: str) -> ui.button:
    with ui.row().classes("w-full justify-end gap-2 q-mt-sm"):
        ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
        return ui.button(label, on_click=on_click).props("unelevated no-caps").mark(marker)


async def _partner_offers(partner_id: uuid.UUID, *, live_only: bool = False) -> list:
    found = (await offers.list_offers(_actor(), OfferFilter(partner_id=partner_id), limit=200)).rows
    return [offer for offer in found if (offer.status == LIVE if live_only else offer.status != RETIRED)]


def _review_note(review_id) -> None:
    if review_id is not None:
        ui.label(f"Recorded on review {review_id}.").classes("mb-muted text-caption").mark("action-review")


async def open_rerank_dialog(partner_id: uuid.UUID, review_id: uuid.UUID | None = None) -> object | None:
    """The live catalogue's first offers in order; move them up or down, then save the new order
    (the offers swap among the places they hold, everything else keeps its place)."""
    page = await offers.list_offers(_actor(), OfferFilter(status=LIVE), limit=50)
    order = list(page.rows)
    with ui.dialog() as dialog, _card("Re-rank offers", "rerank-dialog", "The catalogue's live offers, top first."):
        rows = ui.column().classes("w-full gap-1")

        def draw() -> None:
            rows.clear()
            with rows:
                for index, offer in enumerate(order):
                    mine = offer.partner_id == partner_id
                    with ui.row().classes("w-full items-center no-wrap gap-2").mark(f"rerank-row-{index}"):
                        ui.label(f"{index + 1}.").classes("w-8 mb-muted")
                        ui.label(offer.title).classes(f"col {'text-weight-bold' if mine else ''}").mark("rerank-title")
                        ui.label(offer.partner_name).classes("mb-muted text-caption")
                        ui.button(icon="arrow_upward", on_click=lambda i=index: move(i, -1)).props(
                            f"flat dense round {'disable' if index == 0 else ''}"
                        ).mark(f"rerank-up-{index}")
                        ui.button(icon="arrow_downward", on_click=lambda i=index: move(i, 1)).props(
                            f"flat dense round {'disable' if index == len(order) - 1 else ''}"
                        ).mark(f"rerank-down-{index}")

        def move(index: int, step: int) -> None:
            order[index], order[index + step] = order[index + step], order[index]
            draw()

        draw()
        note = ui.input("Why (optional)").props("outlined").classes("w-full").mark("rerank-note")
        _review_note(review_id)

        async def save() -> None:
            ids = [offer.id for offer in order]
            done = await perform(
                lambda actor: catalogue_actions.rerank(
                    actor, ids, partner_id=partner_id, review_id=review_id, note=note.value or ""
                ),
                done=lambda action: action.summary + ".",
            )
            if done is not None:
                dialog.submit(done)

        _buttons(dialog, "Save order", save, "rerank-save")
    return await ask(dialog)


async def open_refresh_dialog(
    partner_id: uuid.UUID, review_id: uuid.UUID | None = None, offer_id: uuid.UUID | None = None
) -> object | None:
    """A new creative (title, description, image) and/or new terms for one of the partner's offers."""
    choices = {offer.id: offer for offer in await _partner_offers(partner_id)}
    if not choices:
        ui.notify("This partner has no offer to refresh.", type="warning")
        return None
    with ui.dialog() as dialog, _card("Refresh a listing", "refresh-dialog", "Leave a field as it is to keep it."):
        chosen = ui.select(
            {key: offer.title for key, offer in choices.items()}, label="Offer", value=offer_id or next(iter(choices))
        )
        chosen.props("outlined").classes("w-full").mark("refresh-offer")
        title = ui.input("Title").props("outlined").classes("w-full").mark("refresh-title")
        description = ui.textarea("Description").props("outlined autogrow").classes("w-full").mark("refresh-description")
        image = ui.input("Image URL (https://…)").props("outlined").classes("w-full").mark("refresh-image")
        terms = ui.textarea("New terms & conditions (a new version; empty: keep)").props("outlined autogrow").classes("w-full")
        terms.mark("refresh-terms")

        def fill() -> None:
            offer = choices[chosen.value]
            title.value, description.value, image.value = offer.title, offer.description, offer.image_url

        chosen.on_value_change(lambda _: fill())
        fill()
        _review_note(review_id)
        fields = {"title": title, "description": description, "image_url": image, "terms": terms}

        async def save() -> None:
            offer = choices[chosen.value]

            def changed(element, before: str) -> str | None:
                return None if (element.value or "") == before else element.value or ""

            done = await perform(
                lambda actor: catalogue_actions.refresh(
                    actor,
                    offer.id,
                    title=changed(title, offer.title),
                    description=changed(description, offer.description),
                    image_url=changed(image, offer.image_url),
                    terms=terms.value or None,
                    review_id=review_id,
                ),
                fields=fields,
                done=lambda action: action.summary + ".",
            )
            if done is not None:
                dialog.submit(done)

        _buttons(dialog, "Refresh listing", save, "refresh-save")
    return await ask(dialog)


async def open_promotion_dialog(
    partner_id: uuid.UUID | None = None, review_id: uuid.UUID | None = None, offer_id: uuid.UUID | None = None
) -> object | None:
    """A message to a segment: preview how many it reaches, then send (the worker delivers it)."""
    programmes = {p.id: p.name for p in (await recipients.list_programmes(_actor(), limit=200)).rows}
    promoted = {offer.id: offer.title for offer in await _partner_offers(partner_id, live_only=True)} if partner_id else {}
    with (
        ui.dialog() as dialog,
        _card(
            "Promotional push", "promotion-dialog", "A message to the recipients of a segment, through the programme's channels."
        ),
    ):
        programme = ui.select(programmes, label="Programme (its delivery channels)", value=next(iter(programmes), None))
        programme.props("outlined").classes("w-full").mark("promotion-programme")
        offer = ui.select({None: "No offer", **promoted}, label="Offer promoted", value=offer_id or next(iter(promoted), None))
        offer.props("outlined").classes("w-full").mark("promotion-offer")
        segment = EligibilityPreview(title="Segment: who receives it")
        segment.input.props('label="Segment rule"')
        subject = ui.input("Subject (email)", value="Something new for you: {{ offer_name }}").props("outlined").classes("w-full")
        subject.mark("promotion-subject")
        text = (
            ui.textarea(
                "Message",
                value="Hello {{ recipient_name }}, {{ partner_name }} has a new offer for you. Find it in your rewards.",
            )
            .props("outlined autogrow")
            .classes("w-full")
            .mark("promotion-text")
        )
        ui.label("May use {{ recipient_name }}, {{ offer_name }}, {{ partner_name }}.").classes("mb-muted text-caption")
        counted = ui.label("Preview the segment to see how many recipients it reaches.").classes("text-body1")
        counted.mark("promotion-count")
        _review_note(review_id)
        previewed: dict = {}
        fields = {"segment_rule": segment.input, "eligibility_rule": segment.input, "subject": subject, "text": text}

        async def preview() -> None:
            found = await perform(lambda actor: promotion.preview_promotion(actor, segment.value), fields=fields)
            if found is None:
                return
            previewed.update(rule=segment.value, count=found.recipients)
            counted.text = f"{found.recipients:,} of {found.total:,} active recipients will receive it."
            send.text = f"Send to {found.recipients:,}"
            send.enable()

        async def send_it() -> None:
            if previewed.get("rule") != segment.value:
                ui.notify("The segment changed since the preview: preview it again.", type="warning")
                send.disable()
                return
            done = await perform(
                lambda actor: promotion.send_promotion(
                    actor,
                    programme.value,
                    segment.value,
                    subject.value or "",
                    text.value or "",
                    expected_recipients=previewed["count"],
                    offer_id=offer.value,
                    partner_id=partner_id,
                    review_id=review_id,
                ),
                fields=fields,
                done=lambda action: action.summary + ": the worker is sending it.",
            )
            if done is not None:
                dialog.submit(done)

        with ui.row().classes("w-full justify-end gap-2 q-mt-sm"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button("Preview", on_click=preview).props("outline no-caps").mark("promotion-preview")
            send = ui.button("Send", on_click=send_it).props("unelevated no-caps").mark("promotion-send")
            send.disable()
    return await ask(dialog)


async def open_routing_dialog(partner_id: uuid.UUID, review_id: uuid.UUID | None = None) -> object | None:
    """Surface the partner's offers to a segment, or push them down for it."""
    choices = {offer.id: offer.title for offer in await _partner_offers(partner_id)}
    if not choices:
        ui.notify("This partner has no offer to route.", type="warning")
        return None
    with (
        ui.dialog() as dialog,
        _card("Segment routing", "routing-dialog", "Where these offers appear in the catalogue a segment's recipients see."),
    ):
        chosen = ui.select(choices, label="Offers", multiple=True, value=list(choices)).props("outlined use-chips")
        chosen.classes("w-full").mark("routing-offers")
        segment = EligibilityPreview(title="Segment")
        segment.input.props('label="Segment rule"')
        with ui.row().classes("w-full items-center gap-3 no-wrap"):
            ui.label("Push down").classes("mb-muted")
            adjustment = (
                ui.slider(min=-100, max=100, step=5, value=30).props("label-always").classes("col").mark("routing-adjustment")
            )
            ui.label("Surface").classes("mb-muted")
        ui.label("0 removes the routing for this segment.").classes("mb-muted text-caption")
        note = ui.input("Why (optional)").props("outlined").classes("w-full").mark("routing-note")
        _review_note(review_id)
        fields = {"segment_rule": segment.input, "eligibility_rule": segment.input, "adjustment": adjustment}

        async def save() -> None:
            done = await perform(
                lambda actor: catalogue_actions.set_segment_routing(
                    actor,
                    list(chosen.value or []),
                    segment.value,
                    int(adjustment.value),
                    partner_id=partner_id,
                    review_id=review_id,
                    note=note.value or "",
                ),
                fields=fields,
                done=lambda action: action.summary + ".",
            )
            if done is not None:
                dialog.submit(done)

        _buttons(dialog, "Save routing", save, "routing-save")
    return await ask(dialog)


def corrective_actions_button(actor: Actor, partner_id: uuid.UUID, after, review_id: uuid.UUID | None = None) -> None:
    """The "Corrective actions" menu: each entry opens its dialog; ``after()`` runs once one acted."""
    if not actor.can(Permission.CATALOG_WRITE):
        return

    def opener(open_dialog):
        async def run() -> None:
            if await open_dialog(partner_id, review_id) is not None:
                await after()

        return run

    with ui.button("Corrective actions", icon="build").props("outline no-caps").mark("corrective-actions"):
        with ui.menu().mark("corrective-actions-menu"):
            for label, open_dialog, marker in (
                ("Re-rank offers", open_rerank_dialog, "action-rerank"),
                ("Refresh a listing", open_refresh_dialog, "action-refresh"),
                ("Promotional push", open_promotion_dialog, "action-promotion"),
                ("Segment routing", open_routing_dialog, "action-routing"),
                ("Replace partner", open_replace_dialog, "action-replace"),
            ):
                ui.menu_item(label, on_click=opener(open_dialog)).mark(marker)
