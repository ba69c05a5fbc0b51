"""Fixing one bad row of a staged upload in place: its cells as uploaded, what is wrong with them,
and the corrected cells sent to the upload service, which validates the row again with the rules
of the upload itself.

The offer and the amount are chosen, not typed: the offer from the campaign's offers (by code and
title), the amount from the chosen offer's valid amounts, written as the upload's amount column
writes them (500.00 under ``amount``; 50000 under ``amount_minor``)."""

from __future__ import annotations

from nicegui import ui

from backend.campaigns.views import CampaignView
from backend.catalog.services import offers as catalog
from backend.catalog.views import OfferView
from backend.core.amount_columns import MINOR_COLUMNS
from backend.core.authz import Permission
from backend.core.money import format_amount, format_money
from backend.rewards.uploads.services import review
from backend.rewards.uploads.services.columns import AMOUNTS, OFFER
from backend.rewards.uploads.views import UploadRowView, UploadView
from ui.components.action import perform, sentence
from ui.components.dialogs import ask
from ui.session import signed_in


def offer_options(offers: list[OfferView], current: str) -> dict[str, str]:
    """Code → "SHOP-IN-500 · Shoppers Stop gift card"; the row's own text first when it is none of them."""
    options = {offer.code: f"{offer.code} · {offer.title}" for offer in offers}
    if current and current not in options and current.upper() not in options:
        return {current: f"{current} (not one of this campaign's offers)", **options}
    return options


def amount_options(offer: OfferView | None, column: str, current: str) -> dict[str, str]:
    """The offer's valid amounts as the column writes them → as money ("500.00" → "₹500.00")."""
    if offer is None:
        return {current: current} if current else {}
    minor = column in MINOR_COLUMNS
    options = {
        (str(amount) if minor else format_amount(amount, offer.currency)): format_money(amount, offer.currency)
        for amount in offer.denominations.values()
    }
    if current and current not in options:
        return {current: f"{current} (not one of this offer's amounts)", **options}
    return options


def _find(offers: list[OfferView], text: str) -> OfferView | None:
    wanted = (text or "").strip().upper()
    return next((offer for offer in offers if offer.code == wanted or str(offer.id).upper() == wanted), None)


async def fix_row(upload: UploadView, row: UploadRowView, campaign: CampaignView | None = None) -> bool:
    """True when the row was saved (valid now or not: the table shows what is still wrong)."""
    offers: list[OfferView] = []
    actor = signed_in().actor
    if campaign is not None and campaign.allowed_offer_ids and actor.can(Permission.CATALOG_READ):
        found = await catalog.offers_by_ids(actor, list(campaign.allowed_offer_ids))
        offers = sorted(found.values(), key=lambda offer: (offer.rank, offer.id))
    amount_column = next((name for name in AMOUNTS if name in upload.columns), None)
    with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[640px] max-w-[95vw] gap-3").mark("fix-dialog"):
        ui.label(f"Fix line {row.line}").classes("text-h6")
        with ui.column().classes("gap-1 q-pa-sm rounded-borders bg-red-1 w-full").mark("fix-problems"):
            for problem in (*row.problems, *row.warnings):
                ui.label(f"{problem.field or 'row'}: {sentence(problem.message)}").classes("text-body2 text-negative")
        inputs = {}
        with ui.grid(columns=2).classes("w-full gap-3"):
            for column in upload.columns:
                failing = any(problem.field == column for problem in row.problems)
                current = row.cells.get(column, "")
                if column == OFFER and offers:
                    value = (_find(offers, current).code if _find(offers, current) else current) or None
                    element = ui.select(offer_options(offers, current), label="offer", value=value, with_input=True)
                elif column == amount_column and offers:
                    offer = _find(offers, row.cells.get(OFFER, ""))
                    element = ui.select(amount_options(offer, column, current), label=column, value=current or None)
                else:
                    element = ui.input(column, value=current)
                inputs[column] = element.props(f"outlined dense {'color=negative' if failing else ''}").mark(f"fix-{column}")
                if failing:
                    inputs[column].error = next(sentence(p.message) for p in row.problems if p.field == column)

        if OFFER in inputs and amount_column in inputs and offers:

            def offer_changed() -> None:
                """Another offer: its amounts, keeping the amount when it is one of them."""
                amount = inputs[amount_column]
                options = amount_options(_find(offers, inputs[OFFER].value or ""), amount_column, "")
                amount.set_options(options, value=amount.value if amount.value in options else None)

            inputs[OFFER].on_value_change(offer_changed)

        async def save() -> None:
            changes = {
                name: (element.value or "").strip()
                for name, element in inputs.items()
                if (element.value or "").strip() != (row.cells.get(name) or "")
            }
            fixed = await perform(lambda actor: review.fix_row(actor, upload.id, row.line, changes), fields=inputs)
            if fixed is None:
                return
            if fixed.valid:
                ui.notify(f"Line {row.line} is valid now: it will be issued on approval.", type="positive")
            else:
                still = "; ".join(sentence(problem.message) for problem in fixed.problems)
                ui.notify(f"Line {row.line} saved, still to fix: {still}", type="warning", multi_line=True)
            dialog.submit(True)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
            ui.button("Save and check again", icon="check", on_click=save).props("unelevated no-caps").mark("save-fix")
    return bool(await ask(dialog))
