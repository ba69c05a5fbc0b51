"""The onboarding checklist: one card per stage with its state, its items (done with evidence: who,
when, note, file) and its sign-off. The automated UAT item is proved by a sandbox run, not ticked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.partners.services import onboarding
from backend.partners.views import LOCKED, OPEN, SIGNED_OFF, ChecklistItemView, OnboardingView, StageView
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.components.display import when
from ui.components.status_badge import status_badge
from ui.pages.catalog.evidence import complete_item, download_evidence, size
from ui.pages.catalog.uat_run import uat_control
from ui.pages.catalog.words import STAGE_STATE_COLOURS, STAGE_STATES

Refresh = Callable[[], Awaitable[None]]
STATE_ICONS = {LOCKED: "lock", OPEN: "pending_actions", SIGNED_OFF: "verified"}


def _evidence(item: ChecklistItemView) -> None:
    with ui.column().classes("gap-0 q-mt-xs"):
        ui.label(f"{item.completed_by_label} · {when(item.completed_at)}").classes("mb-muted text-caption").mark(
            f"done-by-{item.key}"
        )
        if item.note:
            ui.label(item.note).classes("text-body2 text-grey-9").style("white-space: pre-line").mark(f"note-{item.key}")
        if item.evidence_file:
            file = item.evidence_file
            ui.button(
                f"{file.file_name} · {size(file.size_bytes)}", icon="attach_file", on_click=lambda f=file: download_evidence(f)
            ).props("flat dense no-caps size=sm color=primary").classes("q-px-xs").mark(f"file-{item.key}")


class StageCards:
    def __init__(self, view: OnboardingView, uat_offers: dict[str, str], can_work: bool, refresh: Refresh) -> None:
        self.view, self.uat_offers, self.can_work, self.refresh = view, uat_offers, can_work, refresh
        self.partner = view.partner

    def build(self) -> None:
        for number, stage in enumerate(self.view.stages, start=1):
            self._stage(number, stage)

    def _stage(self, number: int, stage: StageView) -> None:
        current = stage.key == self.view.current_stage and self.partner.status == "onboarding"
        border = "border-left: 4px solid var(--q-primary)" if current else ""
        with ui.card().classes("mb-card q-pa-md gap-2 w-full").style(border).mark(f"stage-{stage.key}"):
            with ui.row().classes("w-full items-center justify-between no-wrap"):
                with ui.row().classes("items-center gap-3 no-wrap"):
                    ui.icon(STATE_ICONS[stage.state], size="24px", color=STAGE_STATE_COLOURS[stage.state])
                    with ui.column().classes("gap-0"):
                        ui.label(f"{number}. {stage.label}").classes("text-subtitle1 text-weight-medium")
                        ui.label(f"{stage.items_done} of {len(stage.items)} done").classes("mb-muted text-caption")
                status_badge(STAGE_STATES[stage.state], STAGE_STATE_COLOURS[stage.state], f"stage-state-{stage.key}")
            if stage.state == LOCKED:
                ui.label("Opens when the previous stage is signed off.").classes("mb-muted text-body2")
            with ui.column().classes("w-full gap-0"):
                for item in stage.items:
                    self._item(stage, item)
            self._sign_off(stage)

    def _item(self, stage: StageView, item: ChecklistItemView) -> None:
        with (
            ui.row()
            .classes("w-full items-start justify-between no-wrap q-py-sm")
            .style("border-top: 1px solid #efedf4")
            .mark(f"item-{item.key}")
        ):
            with ui.row().classes("items-start gap-3 no-wrap"):
                ui.icon(
                    "check_circle" if item.done else "radio_button_unchecked",
                    size="20px",
                    color="positive" if item.done else "grey-5",
                ).classes("q-mt-xs")
                with ui.column().classes("gap-0"):
                    with ui.row().classes("items-center gap-2"):
                        ui.label(item.label).classes("text-body2 text-weight-medium")
                        if item.automated:
                            ui.badge("automated", color="blue-grey-4").props("outline")
                    if item.done:
                        _evidence(item)
            if not item.done and stage.state == OPEN and self.can_work:
                if item.automated:
                    uat_control(self.partner, self.uat_offers, self.refresh)
                else:
                    ui.button("Complete", icon="task_alt", on_click=lambda i=item: self._complete(i)).props(
                        f'outline dense no-caps size=sm aria-label="Complete: {item.label}"'
                    ).classes("q-px-sm").mark(f"complete-{item.key}")

    def _sign_off(self, stage: StageView) -> None:
        if stage.state == SIGNED_OFF:
            note = f": “{stage.sign_off_note}”" if stage.sign_off_note else ""
            ui.label(f"Signed off by {stage.signed_off_by_label}, {when(stage.signed_off_at)}{note}").classes(
                "text-positive text-body2"
            ).mark(f"signed-off-{stage.key}")
            return
        if stage.state != OPEN or not self.can_work:
            return
        missing = len(stage.items) - stage.items_done
        with ui.row().classes("w-full items-center justify-end gap-3"):
            if missing:
                ui.label(f"{missing} item{'s' if missing != 1 else ''} left before sign-off").classes("mb-muted text-caption")
            ui.button("Sign off stage", icon="verified", on_click=lambda: self._confirm_sign_off(stage)).props(
                f'unelevated no-caps aria-label="Sign off {stage.label}" {"disable" if missing else ""}'
            ).mark(f"sign-off-{stage.key}")

    async def _complete(self, item: ChecklistItemView) -> None:
        if await complete_item(self.partner.id, self.partner.name, item):
            await self.refresh()

    async def _confirm_sign_off(self, stage: StageView) -> None:
        with ui.dialog() as dialog, ui.card().classes("q-pa-lg w-[520px] gap-3").mark("sign-off-dialog"):
            ui.label(f"Sign off {stage.label}?").classes("text-h6")
            ui.label(
                f"Every item of {stage.label} is done. Signing off closes the stage for good and opens the next one."
            ).classes("mb-muted")
            note = ui.input("Note (optional, kept in the trail)").props("outlined").classes("w-full").mark("sign-off-note")

            async def send() -> None:
                signed = await perform(
                    lambda actor: onboarding.sign_off_stage(actor, self.partner.id, stage.key, note.value or ""),
                    done=f"Signed off {stage.label} for {self.partner.name}.",
                )
                if signed is not None:
                    dialog.submit(True)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button("Sign off", icon="verified", on_click=send).props("unelevated no-caps").mark("confirm-sign-off")
        if await ask(dialog):
            await self.refresh()


def stage_cards(view: OnboardingView, uat_offers: dict[str, str], can_work: bool, refresh: Refresh) -> None:
    """``uat_offers``: the partner's offers a sandbox run can use (id → title)."""
    StageCards(view, uat_offers, can_work, refresh).build()
