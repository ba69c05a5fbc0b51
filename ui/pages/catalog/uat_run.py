"""The UAT run button: a sandbox issuance on one of the partner's offers (a code allocated from real
stock, confirmed, released), recorded as the evidence of the automated UAT item."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.catalog.services import uat
from backend.catalog.views import UatRun
from backend.partners.views import PartnerView
from ui.components.action import perform


def _show_run(run: UatRun) -> None:
    with ui.dialog(value=True) as dialog, ui.card().classes("q-pa-lg w-[620px] max-w-[95vw] gap-3").mark("uat-result"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("verified", size="28px", color="positive")
            ui.label("Sandbox issuance passed").classes("text-h6")
        for step in run.steps:
            with ui.row().classes("items-start gap-2 no-wrap"):
                ui.icon("check", color="positive").classes("q-mt-xs")
                ui.label(f"{step.name.capitalize()}: {step.detail}").classes("text-body2")
        ui.label("Recorded as the evidence of the UAT item; the stock is as it was.").classes("mb-muted text-caption")
        with ui.row().classes("w-full justify-end"):
            ui.button("Close", on_click=dialog.close).props("flat no-caps").mark("close-uat-result")
    dialog.on("hide", dialog.delete)


def uat_control(partner: PartnerView, choices: dict[str, str], refresh: Callable[[], Awaitable[None]]) -> None:
    """An offer choice (``choices``: offer id → title, the partner's offers that can run) and the run button."""
    with ui.row().classes("items-center gap-2 no-wrap").mark("uat-control"):
        if not choices:
            ui.label("Create an offer with voucher stock first").classes("mb-muted text-caption").mark("uat-no-offer")
            return
        chosen = (
            ui.select(choices, value=next(iter(choices)), label="Offer")
            .props("dense outlined options-dense")
            .classes("w-56")
            .mark("uat-offer")
        )
        button = ui.button("Run sandbox UAT", icon="science").props("unelevated no-caps").mark("run-uat")

    async def run() -> None:
        button.props("loading")  # the run takes a moment: allocation, confirmation, release
        try:
            result = await perform(
                lambda actor: uat.run_sandbox_issuance(actor, partner.id, uuid.UUID(chosen.value)),
                done=lambda r: f"UAT passed on {choices[str(r.offer_id)]}: the sandbox issuance is recorded as evidence.",
            )
        finally:
            button.props(remove="loading")
        if result is not None:
            page = button.client.content  # the checklist is rebuilt, this button with it: the result shows on the page
            await refresh()
            with page:
                _show_run(result)

    button.on_click(run)
