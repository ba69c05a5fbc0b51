"""The fields of an offer, and reading them back into the service's input: denominations typed in
the currency's units (a fixed list or a range) and kept in minor units, expiry, low-stock alert."""

from __future__ import annotations

from datetime import date

from nicegui import ui

from backend.catalog.services.offer_rules import DenominationRange, OfferInput
from backend.catalog.views import DAYS_AFTER_ISSUE, FIXED, RANGE, OfferView
from backend.core.errors import DomainError, FieldError
from ui.pages.catalog.amounts import AMOUNTS_HELP, major, read_amounts, to_minor, units_hint
from ui.pages.catalog.words import country_options, currency_options


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

    @property
    def elements(self) -> list[ui.element]:
        """Every input of the form (for read-only and the unsaved-changes guard)."""
        return [*self.fields.values(), self.kind, self.expiry_kind, self.maximum, self.step]

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
