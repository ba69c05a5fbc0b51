"""Replacing a partner, maker-checker, in the console: the request (a live replacement partner and a
replacement for each offer) and, for a second admin, the pending request with its approval or
rejection — or, for its maker, Approve disabled with the reason and Withdraw (ui/components/approval)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.catalog.services import offers
from backend.catalog.services.offers import OfferFilter
from backend.catalog.views import LIVE, RETIRED
from backend.core.authz import Actor
from backend.insights.actions.services import records, replacement
from backend.insights.actions.views import ActionView
from backend.partners.services import profiles
from backend.partners.services.profiles import PartnerFilter
from ui.components import approval
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.components.display import when
from ui.session import signed_in

Refresh = Callable[[], Awaitable[None]]


async def pending_for(actor: Actor, partner_id: uuid.UUID) -> ActionView | None:
    found = [action for action in await replacement.pending_replacements(actor) if action.partner_id == partner_id]
    return found[0] if found else None


def _plan(action: ActionView) -> None:
    request, titles = action.request, action.request.get("offer_titles", {})
    ui.label(f"{request['partner_name']} → {request['replacement_partner_name']}").classes("text-subtitle1")
    for old_id, new_id in request["offer_map"].items():
        with ui.row().classes("items-center gap-2 no-wrap text-body2").mark("replacement-pair"):
            ui.label(titles.get(old_id, old_id)).classes("text-strike")
            ui.icon("arrow_forward", size="18px")
            ui.label(titles.get(new_id, new_id)).classes("text-weight-medium")
    ui.label(f"Requested by {action.requested_by_label}, {when(action.requested_at)}").classes("mb-muted text-caption")
    if request.get("note"):
        ui.label(f"“{request['note']}”").classes("text-body2")


def decision_panel(actor: Actor, action: ActionView, decided: Refresh) -> None:
    """The pending replacement: what it will do, and the checker's two buttons."""
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("replacement-pending"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("swap_horiz", color="warning")
            ui.label("Partner replacement awaiting approval").classes("text-subtitle1 text-weight-medium")
        _plan(action)
        ui.label(
            "Approval retires the old offers; the replacements take their ranking positions, segment routes and places "
            "in every campaign that has not ended."
        ).classes("mb-muted text-body2")
        own = action.requested_by == actor.id
        reason = None
        if not own:
            reason = ui.input("Reason (to reject)").props("outlined dense").classes("w-full").mark("replacement-reason")

        async def approve() -> None:
            if await perform(
                lambda who: replacement.approve_replacement(who, action.id),
                done=f"Approved: {action.request['replacement_partner_name']} replaces {action.request['partner_name']}.",
            ):
                await decided()

        async def reject() -> None:
            if await perform(
                lambda who: replacement.reject_replacement(who, action.id, reason.value or ""),
                fields={"reason": reason},
                done="Rejected: nothing changed.",
            ):
                await decided()

        async def withdraw() -> None:
            if await perform(
                lambda who: replacement.withdraw_replacement(who, action.id),
                done=f"Withdrew the request to replace {action.request['partner_name']}: nothing changed.",
            ):
                await decided()

        approval.decision_bar(
            own=own,
            marker="replacement",
            approve_label="Approve replacement",
            approve_icon="check",
            on_approve=approve,
            on_reject=reject,
            on_withdraw=withdraw,
            reason="You requested this replacement; a second admin approves or rejects it.",
        )


async def open_replace_dialog(partner_id: uuid.UUID, review_id: uuid.UUID | None = None) -> ActionView | None:
    """Request the partner's replacement (or, when one is pending, decide it). Returns the action."""
    actor = signed_in().actor
    with ui.dialog() as dialog, ui.card().classes("q-pa-lg w-[760px] max-w-[95vw] gap-3").mark("replace-dialog"):
        pending = await pending_for(actor, partner_id)
        if pending is not None:

            async def decided() -> None:
                dialog.submit(await records.load(pending.id))

            decision_panel(actor, pending, decided)
            ui.button("Close", on_click=lambda: dialog.submit(None)).props("flat no-caps").classes("self-end")
            return await ask(dialog)
        partner = await profiles.get_partner(actor, partner_id)
        ui.label(f"Replace {partner.name}").classes("text-h6")
        ui.label("Choose a live partner, then the offer that replaces each of this partner's offers.").classes("mb-muted")
        old_offers = [
            offer
            for offer in (await offers.list_offers(actor, OfferFilter(partner_id=partner_id), limit=200)).rows
            if offer.status != RETIRED
        ]
        live = [
            p for p in (await profiles.list_partners(actor, PartnerFilter(status=LIVE), limit=200)).rows if p.id != partner_id
        ]
        successor = ui.select({p.id: p.name for p in live}, label="Replacement partner (live)").props("outlined")
        successor.classes("w-full").mark("replace-partner")
        pairs = ui.column().classes("w-full gap-2")
        selects: dict[uuid.UUID, ui.select] = {}

        async def show_offers() -> None:
            pairs.clear()
            selects.clear()
            if successor.value is None:
                return
            found = await offers.list_offers(actor, OfferFilter(partner_id=successor.value, status=LIVE), limit=200)
            options = {offer.id: f"{offer.title} ({offer.currency})" for offer in found.rows}
            with pairs:
                for index, old in enumerate(old_offers):
                    with ui.row().classes("w-full items-center no-wrap gap-2"):
                        ui.label(f"{old.title} ({old.currency})").classes("col")
                        ui.icon("arrow_forward")
                        selects[old.id] = (
                            ui.select(options, value=next(iter(options), None), label="Replaced by")
                            .props("outlined dense")
                            .classes("col")
                            .mark(f"replace-offer-{index}")
                        )

        successor.on_value_change(show_offers)
        note = ui.input("Why").props("outlined").classes("w-full").mark("replace-note")
        if review_id is not None:
            ui.label(f"Recorded on review {review_id}.").classes("mb-muted text-caption")

        async def request() -> None:
            offer_map = {old_id: select.value for old_id, select in selects.items() if select.value is not None}
            done = await perform(
                lambda who: replacement.request_replacement(
                    who, partner_id, successor.value, offer_map, note=note.value or "", review_id=review_id
                ),
                fields={"replacement_partner_id": successor, "note": note},
                done="Replacement requested: a second admin approves it.",
            )
            if done is not None:
                dialog.submit(done)

        with ui.row().classes("w-full justify-end gap-2 q-mt-sm"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button("Request replacement", on_click=request).props("unelevated no-caps color=negative").mark("replace-request")
    return await ask(dialog)


async def pending_replacement(actor: Actor, partner_id: uuid.UUID) -> ActionView | None:
    """The partner's pending replacement, for those who may decide it (read before the page is drawn)."""
    return await pending_for(actor, partner_id) if actor.can(replacement.PERMISSION) else None


def replacement_notice(actor: Actor, pending: ActionView | None, refresh: Refresh) -> None:
    """On the partner's page: its pending replacement, if any, with the checker's decision."""
    if pending is not None:
        decision_panel(actor, pending, refresh)
