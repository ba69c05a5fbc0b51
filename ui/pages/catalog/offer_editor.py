"""The offer editor: details, denominations (a fixed list or a range, typed in the currency's units
and kept in minor units), expiry, the eligibility rule with its live preview, terms & conditions
(versioned) and the offer's status. The service checks everything; its errors sit under the fields."""

from __future__ import annotations

import uuid
from datetime import date

from nicegui import ui

from backend.catalog.services import offers, terms
from backend.catalog.services.offers import TRANSITIONS, DenominationRange, OfferInput
from backend.catalog.views import DAYS_AFTER_ISSUE, FIXED, LIVE, PAUSED, RANGE, RETIRED, OfferView, TermsVersionView
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError, FieldError, NotFound
from backend.partners.services import profiles
from backend.partners.views import OFFBOARDED
from ui import navigation
from ui.components.action import perform, show_errors
from ui.components.dialogs import confirm
from ui.components.display import when
from ui.navigation import Destination
from ui.pages.catalog.amounts import AMOUNTS_HELP, major, read_amounts, to_minor, units_hint
from ui.pages.catalog.eligibility_preview import EligibilityPreview
from ui.pages.catalog.words import OFFER_STATUS_COLOURS, OFFER_STATUSES, country_options, currency_options
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


class OfferForm:
    """The fields of an offer; ``entered()`` reads them into an OfferInput (or field errors)."""

    def __init__(self, offer: OfferView | None) -> None:
        currency = offer.currency if offer else "INR"
        d = offer.denominations if offer else None
        with ui.card().classes("mb-card q-pa-md gap-3 w-full").mark("offer-form"):
            ui.label("Details").classes("text-subtitle1 text-weight-medium")
            self.title = (
                ui.input("Title", value=offer.title if offer else "").props("outlined").classes("w-full").mark("offer-title")
            )
            self.code = (
                ui.input("Code", value=offer.code if offer else "")
                .props(
                    'outlined hint="Unique, e.g. SHOP-IN-500: what upload files name the offer by. Left empty: made from '
                    'the partner, the country and the amount."'
                )
                .classes("w-full")
                .mark("offer-code")
            )
            self.description = (
                ui.textarea("Description", value=offer.description if offer else "")
                .props("outlined autogrow")
                .classes("w-full")
                .mark("offer-description")
            )
            with ui.grid(columns=3).classes("w-full gap-3"):
                self.country = (
                    ui.select(country_options(), label="Country", with_input=True, value=offer.country if offer else "IN")
                    .props("outlined options-dense")
                    .mark("offer-country")
                )
                self.currency = (
                    ui.select(currency_options(), label="Currency", with_input=True, value=currency)
                    .props("outlined options-dense")
                    .mark("offer-currency")
                )
                self.category = (
                    ui.input("Category", value=offer.category if offer else "", placeholder="e.g. dining")
                    .props("outlined")
                    .mark("offer-category")
                )
            self.image_url = (
                ui.input("Image URL (https)", value=offer.image_url if offer else "")
                .props("outlined")
                .classes("w-full")
                .mark("offer-image-url")
            )
            self.restrictions = (
                ui.input(
                    "Category restrictions (comma-separated)",
                    value=", ".join(offer.category_restrictions) if offer else "",
                    placeholder="e.g. alcohol, tobacco",
                )
                .props("outlined")
                .classes("w-full")
                .mark("offer-restrictions")
            )

            ui.label("Denominations").classes("text-subtitle1 text-weight-medium q-mt-sm")
            self.kind = (
                ui.radio(
                    {FIXED: "Fixed amounts", RANGE: "Any amount in a range"},
                    value=d.kind if d else FIXED,
                    on_change=self._kind_changed,
                )
                .props("inline")
                .mark("denomination-kind")
            )
            self.fixed = (
                ui.textarea(
                    "Amounts (e.g. 500, 1,000, 2,500)",
                    value=", ".join(major(a, currency) for a in d.amounts) if d and d.kind == FIXED else "",
                )
                .props("outlined autogrow rows=1")
                .classes("w-full")
                .mark("offer-denominations")
            )
            self.fixed.props["hint"] = AMOUNTS_HELP
            with ui.grid(columns=3).classes("w-full gap-3") as self.range_row:
                self.minimum = (
                    ui.input("Minimum", value=major(d.minimum, currency) if d and d.kind == RANGE else "")
                    .props("outlined")
                    .mark("offer-minimum")
                )
                self.maximum = (
                    ui.input("Maximum", value=major(d.maximum, currency) if d and d.kind == RANGE else "")
                    .props("outlined")
                    .mark("offer-maximum")
                )
                self.step = (
                    ui.input("Step", value=major(d.step, currency) if d and d.kind == RANGE else "")
                    .props("outlined")
                    .mark("offer-step")
                )
            self.units = ui.label(units_hint(currency)).classes("mb-muted text-caption").mark("offer-units")
            self.currency.on_value_change(lambda event: self.units.set_text(units_hint(event.value)))

            ui.label("Expiry").classes("text-subtitle1 text-weight-medium q-mt-sm")
            expiry = offer.expiry if offer else None
            self.expiry_kind = (
                ui.radio(
                    {DAYS_AFTER_ISSUE: "Days after issue", "fixed_date": "On a fixed date"},
                    value=expiry.kind if expiry else DAYS_AFTER_ISSUE,
                    on_change=self._kind_changed,
                )
                .props("inline")
                .mark("expiry-kind")
            )
            with ui.row().classes("w-full gap-3"):
                self.expiry_days = (
                    ui.number("Days after issue", value=expiry.days if expiry and expiry.days else 365, min=1, precision=0)
                    .props("outlined")
                    .classes("w-48")
                    .mark("offer-expiry-days")
                )
                self.expiry_date = (
                    ui.input("Expiry date (YYYY-MM-DD)", value=expiry.on.isoformat() if expiry and expiry.on else "")
                    .props("outlined")
                    .classes("w-56")
                    .mark("offer-expiry-date")
                )
            ui.label("Stock").classes("text-subtitle1 text-weight-medium q-mt-sm")
            self.threshold = (
                ui.number(
                    "Low-stock alert at (codes; 0 = no alert)",
                    value=offer.low_stock_threshold if offer else 0,
                    min=0,
                    precision=0,
                )
                .props("outlined")
                .classes("w-72")
                .mark("offer-low-stock")
            )
        self._kind_changed()

    def _kind_changed(self) -> None:
        self.fixed.set_visibility(self.kind.value == FIXED)
        self.range_row.set_visibility(self.kind.value == RANGE)
        self.expiry_days.set_visibility(self.expiry_kind.value == DAYS_AFTER_ISSUE)
        self.expiry_date.set_visibility(self.expiry_kind.value != DAYS_AFTER_ISSUE)

    @property
    def fields(self) -> dict:
        return {
            "title": self.title,
            "code": self.code,
            "description": self.description,
            "country": self.country,
            "currency": self.currency,
            "category": self.category,
            "image_url": self.image_url,
            "category_restrictions": self.restrictions,
            "denominations": self.fixed,
            "denomination_range": self.minimum,
            "expiry": self.expiry_days if self.expiry_kind.value == DAYS_AFTER_ISSUE else self.expiry_date,
            "expiry_days": self.expiry_days,
            "expiry_date": self.expiry_date,
            "low_stock_threshold": self.threshold,
        }

    def entered(self, rule: str) -> OfferInput:
        """The form as the service's input; DomainError (field errors) for what cannot even be read."""
        errors: list[FieldError] = []
        currency = self.currency.value or ""

        def amount(text: str, field: str) -> int | None:
            try:
                return to_minor(text, currency)
            except ValueError as error:
                errors.append(FieldError(field, "INVALID_AMOUNT", str(error)))
                return None

        fixed = span = expiry_date = None
        if self.kind.value == FIXED:
            try:
                fixed = read_amounts(self.fixed.value or "", currency)
            except ValueError as error:
                errors.append(FieldError("denominations", "INVALID_AMOUNT", str(error)))
        else:
            values = [
                amount(field.value or "", "denomination_range") if (field.value or "").strip() else None
                for field in (self.minimum, self.maximum, self.step)
            ]
            if None in values and not errors:
                errors.append(FieldError("denomination_range", "INVALID_RANGE", "give a minimum, a maximum and a step"))
            span = DenominationRange(*values)
        if self.expiry_kind.value != DAYS_AFTER_ISSUE:
            try:
                expiry_date = date.fromisoformat((self.expiry_date.value or "").strip())
            except ValueError:
                errors.append(FieldError("expiry_date", "INVALID_DATE", "write the date as YYYY-MM-DD"))
        days = self.expiry_days.value
        threshold = self.threshold.value
        if errors:
            raise DomainError(errors)
        return OfferInput(
            title=self.title.value or "",
            country=self.country.value or "",
            currency=currency,
            category=self.category.value or "",
            denominations=fixed,
            denomination_range=span,
            expiry_days=(int(days) if isinstance(days, float) and days.is_integer() else days)
            if self.expiry_kind.value == DAYS_AFTER_ISSUE
            else None,
            expiry_date=expiry_date,
            description=self.description.value or "",
            image_url=self.image_url.value or "",
            category_restrictions=[part.strip() for part in (self.restrictions.value or "").split(",") if part.strip()],
            eligibility_rule=rule,
            low_stock_threshold=int(threshold) if isinstance(threshold, float) and threshold.is_integer() else threshold,
            code=self.code.value or "",
        )


def _terms_card(offer: OfferView | None, current: TermsVersionView | None, on_revise, can_write: bool) -> ui.textarea:
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
        if offer is not None:
            with ui.row().classes("w-full items-center justify-between no-wrap"):
                ui.label("Each save adds a version; issued rewards keep the version they were issued under.").classes(
                    "mb-muted text-caption"
                )
                if can_write and offer.status != RETIRED:
                    ui.button("Save terms", icon="history_edu", on_click=on_revise).props("outline no-caps").mark("save-terms")
    return body


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
                    ui.badge(OFFER_STATUSES[offer.status], color=OFFER_STATUS_COLOURS[offer.status]).classes(
                        "q-px-md q-py-sm text-body2"
                    ).mark("offer-status")
                    ui.button("Stock", icon="inventory_2", on_click=lambda: ui.navigate.to(f"{offer_url(offer.id)}/stock")).props(
                        "outline no-caps"
                    ).mark("open-stock")
                    if can_write:
                        for status in TRANSITIONS:
                            if offer.status in TRANSITIONS[status]:
                                label, icon, colour, _ = STATUS_ACTIONS[status]
                                ui.button(label, icon=icon, on_click=lambda s=status: self.change_status(s)).props(
                                    f"outline no-caps color={colour}"
                                ).mark(f"status-{status}")
                if can_write and not (offer and offer.status == RETIRED):
                    ui.button("Save offer" if offer else "Create offer", icon="save", on_click=self.save).props(
                        "unelevated no-caps"
                    ).mark("save-offer")
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
                    self.terms = _terms_card(offer, self.current_terms, self.revise_terms, can_write)
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
                ui.navigate.to(offer_url(created.id))
            return
        saved = await perform(
            lambda actor: offers.update_offer(actor, self.offer.id, data), fields=fields, done=lambda o: f"Saved {o.title}."
        )
        if saved is not None:
            ui.navigate.reload()

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
        ui.notify(f"Terms of {self.offer.title} are now version {revised.version}.", type="positive")
        ui.navigate.reload()

    async def change_status(self, status: str) -> None:
        label, _, _, effect = STATUS_ACTIONS[status]
        if not await confirm(f"{label} {self.offer.title}?", effect, confirm_label=label, danger=status == RETIRED):
            return
        changed = await perform(
            lambda actor: offers.change_offer_status(actor, self.offer.id, status),
            done=lambda o: f"{o.title} is now {OFFER_STATUSES[o.status].lower()}.",
        )
        if changed is not None:
            ui.navigate.reload()


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
