"""The offer editor: details, denominations (a fixed list or a range, typed in the currency's units
and kept in minor units), expiry, the eligibility rule with its live preview, terms & conditions
(versioned) and the offer's status. The service checks everything; its errors sit under the fields."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.catalog.services import offers, terms
from backend.catalog.services.offers import TRANSITIONS
from backend.catalog.views import LIVE, PAUSED, RETIRED, OfferView, TermsVersionView
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError, NotFound
from backend.partners.services import profiles
from backend.partners.views import OFFBOARDED
from ui import navigation
from ui.components import flash
from ui.components.action import perform, show_errors
from ui.components.dialogs import confirm
from ui.components.display import when
from ui.components.editing import EditSwitch
from ui.components.flash import go
from ui.components.status_badge import status_badge
from ui.navigation import Destination
from ui.pages.catalog.eligibility_preview import EligibilityPreview
from ui.pages.catalog.offer_form import OfferForm
from ui.pages.catalog.words import OFFER_STATUS_COLOURS, OFFER_STATUSES
from ui.session import signed_in
from ui.theme import frame

NEW_OFFER = Destination("Catalogue", "New offer", f"{navigation.OFFERS.path}/new", "add", Permission.CATALOG_WRITE)
# What each status change is called on its button, and what it does, in the words of the person.
STATUS_ACTIONS = {
    LIVE: ("Publish", "play_circle", "positive", "The offer can be issued from now on (its partner must be live)."),
    PAUSED: ("Pause", "pause_circle", "orange-8", "No new issuances until it is published again; issued rewards stay valid."),
    RETIRED: ("Retire", "archive", "negative", "For good: a retired offer cannot be changed or published again."),
}
MAX_PARTNERS = 200


def offer_url(offer_id: object) -> str:
    return f"{navigation.OFFERS.path}/{offer_id}"


def _terms_card(
    offer: OfferView | None, current: TermsVersionView | None, on_revise, can_write: bool
) -> tuple[ui.textarea, ui.button | None]:
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("terms-card"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("gavel", color="primary")
            ui.label("Terms & conditions").classes("text-subtitle1 text-weight-medium")
        if current is not None:
            ui.label(f"Version {current.version} · {current.created_by_label} · {when(current.created_at)}").classes(
                "mb-muted text-caption"
            ).mark("terms-version")
        elif offer is not None:
            ui.label("No terms yet: an offer goes live only with terms.").classes("text-caption text-negative")
        body = (
            ui.textarea("Terms", value=current.body if current else "")
            .props("outlined autogrow")
            .classes("w-full")
            .mark("offer-terms")
        )
        save = None
        if offer is not None:
            with ui.row().classes("w-full items-center justify-between no-wrap"):
                ui.label("Each save adds a version; issued rewards keep the version they were issued under.").classes(
                    "mb-muted text-caption"
                )
                if can_write and offer.status != RETIRED:
                    save = (
                        ui.button("Save terms", icon="history_edu", on_click=on_revise)
                        .props("outline no-caps")
                        .mark("save-terms")
                    )
    return body, save


class OfferEditor:
    def __init__(
        self,
        actor: Actor,
        offer: OfferView | None,
        partner_choices: dict[str, str],
        partner: str | None,
        current_terms: TermsVersionView | None,
    ) -> None:
        self.actor, self.offer, self.current_terms = actor, offer, current_terms
        self.partner_choices, self.chosen_partner = partner_choices, partner

    async def build(self) -> None:
        offer = self.offer
        title = offer.title if offer else "New offer"
        subtitle = (
            f"{offer.code} · {offer.partner_name} · rank {offer.rank}"
            if offer
            else "A draft until it is published; its partner must be live to publish"
        )
        can_write = self.actor.can(Permission.CATALOG_WRITE)
        with frame(title, subtitle) as page:
            with page.actions:
                if offer:
                    status_badge(OFFER_STATUSES[offer.status], OFFER_STATUS_COLOURS[offer.status], "offer-status")
                    ui.button("Stock", icon="inventory_2", on_click=lambda: ui.navigate.to(f"{offer_url(offer.id)}/stock")).props(
                        "outline no-caps"
                    ).mark("open-stock")
                    if can_write:
                        moves = [status for status in TRANSITIONS if offer.status in TRANSITIONS[status]]
                        # The one that cannot be undone stands apart, far from Save: flat, then a divider.
                        for status in sorted(moves, key=lambda s: s != RETIRED):
                            label, icon, colour, _ = STATUS_ACTIONS[status]
                            ui.button(label, icon=icon, on_click=lambda s=status: self.change_status(s)).props(
                                f"{'flat' if status == RETIRED else 'outline'} no-caps color={colour}"
                            ).mark(f"status-{status}")
                            if status == RETIRED:
                                ui.separator().props("vertical").classes("q-mx-sm")
            ui.link("← All offers", navigation.OFFERS.path).classes("text-primary text-body2")
            with (
                ui.element("div")
                .classes("w-full grid gap-4 items-start")
                .style("grid-template-columns: minmax(0, 1fr) minmax(0, 1fr)")
            ):
                with ui.column().classes("gap-4 w-full"):
                    if offer is None:
                        with ui.card().classes("mb-card q-pa-md gap-2 w-full"):
                            ui.label("Partner").classes("text-subtitle1 text-weight-medium")
                            self.partner = (
                                ui.select(
                                    self.partner_choices,
                                    label="Partner",
                                    with_input=True,
                                    value=self.chosen_partner if self.chosen_partner in self.partner_choices else None,
                                )
                                .props("outlined options-dense")
                                .classes("w-full")
                                .mark("offer-partner")
                            )
                    self.form = OfferForm(offer)
                with ui.column().classes("gap-4 w-full"):
                    self.eligibility = EligibilityPreview(offer.eligibility_rule if offer else "")
                    self.terms, save_terms = _terms_card(offer, self.current_terms, self.revise_terms, can_write)
            # An offer opens read-only (a support agent cannot type into it); Edit for those who may.
            self.switch = EditSwitch(
                [*self.form.elements, self.eligibility.input, self.terms],
                can_edit=can_write and not (offer and offer.status == RETIRED),
                editing=offer is None,
                on_save=self.save,
                on_cancel=flash.reload,
                save_label="Save offer" if offer else "Create offer",
                save_marker="save-offer",
                editing_only=[save_terms] if save_terms else [],
                reason="Read only: a retired offer does not change."
                if can_write
                else f"Read only: changing an offer needs the permission “{Permission.CATALOG_WRITE.value}”.",
            )
            self.switch.build(page.actions)
        await self.eligibility.show()

    async def save(self) -> None:
        fields = {**self.form.fields, "eligibility_rule": self.eligibility.input}
        if self.offer is None:
            fields["terms"] = self.terms
        if self.offer is None:
            fields["partner_id"] = self.partner
        try:
            data = self.form.entered(self.eligibility.value)
        except DomainError as error:
            show_errors(error, fields)
            return
        if self.offer is None:
            if not self.partner.value:
                self.partner.error = "Choose the partner this offer belongs to."
                return
            created = await perform(
                lambda actor: offers.create_offer(actor, uuid.UUID(self.partner.value), data, terms=self.terms.value or ""),
                fields=fields,
                done=lambda o: f"Created the draft offer {o.title}.",
            )
            if created is not None:
                self.switch.guard.saved()
                go(offer_url(created.id))
            return
        saved = await perform(
            lambda actor: offers.update_offer(actor, self.offer.id, data), fields=fields, done=lambda o: f"Saved {o.title}."
        )
        if saved is not None:
            self.switch.guard.saved()
            flash.reload()

    async def revise_terms(self) -> None:
        """A new version of the terms, on its own: saving the offer's details never changes them."""
        revised = await perform(
            lambda actor: terms.revise_terms(actor, self.offer.id, self.terms.value or ""), fields={"terms": self.terms}
        )
        if revised is None:
            return
        if self.current_terms is not None and revised.id == self.current_terms.id:
            ui.notify("The terms are unchanged: no new version.", type="info")
            return
        flash.say(f"Terms of {self.offer.title} are now version {revised.version}.")
        self.switch.guard.saved()
        flash.reload()

    async def change_status(self, status: str) -> None:
        label, _, _, effect = STATUS_ACTIONS[status]
        if not await confirm(f"{label} {self.offer.title}?", effect, confirm_label=label, danger=status == RETIRED):
            return
        changed = await perform(
            lambda actor: offers.change_offer_status(actor, self.offer.id, status),
            done=lambda o: f"{o.title} is now {OFFER_STATUSES[o.status].lower()}.",
        )
        if changed is not None:
            flash.reload()


async def _partner_choices(actor: Actor) -> dict[str, str]:
    found = (await profiles.list_partners(actor, limit=MAX_PARTNERS)).rows
    return {str(p.id): p.name for p in found if p.status != OFFBOARDED}


async def new_offer_page(partner: str | None = None) -> None:
    actor = signed_in().actor
    await OfferEditor(actor, None, await _partner_choices(actor), partner, None).build()


async def offer_or_not_found(actor: Actor, offer_id: str) -> OfferView | None:
    """The offer of a page's URL, or None after showing "Offer not found" (a bad or unknown id)."""
    try:
        return await offers.get_offer(actor, uuid.UUID(offer_id))
    except (ValueError, NotFound):
        with frame("Offer not found"):
            ui.label(f"There is no offer with id {offer_id}.").classes("text-body1").mark("offer-not-found")
            ui.link("Back to offers", navigation.OFFERS.path)
        return None


async def offer_page(offer_id: str) -> None:
    actor = signed_in().actor
    if (offer := await offer_or_not_found(actor, offer_id)) is None:
        return
    await OfferEditor(actor, offer, {}, None, await terms.current_terms(actor, offer.id)).build()
