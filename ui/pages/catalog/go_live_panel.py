"""Go-live, maker-checker: what still blocks it, the request, and the second admin's decision.
A button that cannot be used says why beside it (the service refuses the same, SELF_APPROVAL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.partners import checklist
from backend.partners.services import go_live
from backend.partners.views import APPROVED, ONBOARDING, PENDING, REJECTED, WITHDRAWN, GoLiveBlocker, OnboardingView
from ui.components import approval
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.components.display import when
from ui.pages.catalog.words import STAGES

Refresh = Callable[[], Awaitable[None]]
DECISIONS = {APPROVED: "Approved", REJECTED: "Rejected", WITHDRAWN: "Withdrawn"}


def _blockers(blockers: tuple[GoLiveBlocker, ...]) -> None:
    """Grouped by stage, in workflow order: what is left to do, where."""
    by_stage: dict[str | None, list[GoLiveBlocker]] = {}
    for blocker in blockers:
        by_stage.setdefault(blocker.stage, []).append(blocker)
    with ui.column().classes("w-full gap-2").mark("go-live-blockers"):
        for stage, found in by_stage.items():
            items = [b for b in found if b.code == "ITEM_INCOMPLETE"]
            with ui.row().classes("items-start gap-2 no-wrap"):
                ui.icon("block" if stage else "hourglass_top", size="18px", color="negative" if stage else "warning").classes(
                    "q-mt-xs"
                )
                with ui.column().classes("gap-0"):
                    if stage is None:
                        for blocker in found:
                            ui.label(blocker.message[:1].upper() + blocker.message[1:] + ".").classes("text-body2").mark(
                                f"blocker-{blocker.code.lower()}"
                            )
                        continue
                    ui.label(
                        f"{STAGES[stage]}: "
                        + (f"{len(items)} item{'s' if len(items) != 1 else ''} open, " if items else "")
                        + "not signed off"
                    ).classes("text-body2 text-weight-medium").mark(f"blocker-{stage}")
                    for blocker in items:
                        ui.label(checklist.stage(stage).item(blocker.item).label).classes("mb-muted text-caption")


class GoLivePanel:
    def __init__(self, view: OnboardingView, actor: Actor, refresh: Refresh) -> None:
        self.view, self.actor, self.refresh = view, actor, refresh
        self.partner = view.partner

    def build(self) -> None:
        request = self.view.go_live_request
        with ui.card().classes("mb-card q-pa-md gap-3 w-full").mark("go-live-panel"):
            with ui.row().classes("items-center gap-2 no-wrap"):
                ui.icon("rocket_launch", color="primary")
                ui.label("Go-live").classes("text-subtitle1 text-weight-medium")
            if self.partner.status != ONBOARDING:
                self._gone_live()
                return
            # A pending request is shown below, with who asked and when; the rest is what is left to do.
            left = tuple(b for b in self.view.blockers if b.code != "AWAITING_SECOND_APPROVAL")
            if left:
                ui.label("What blocks go-live").classes("text-caption text-uppercase mb-muted")
                _blockers(left)
            if request is not None and request.status != PENDING:
                ui.label(
                    f"Last request {DECISIONS[request.status].lower()} by {request.decided_by_label}, {when(request.decided_at)}"
                    + (f": “{request.decision_note}”" if request.decision_note else "")
                ).classes("text-body2 mb-muted").mark("last-decision")
            ui.separator()
            if not self.actor.can(Permission.PARTNERS_WRITE):
                ui.label(f"You need the permission “{Permission.PARTNERS_WRITE.value}” to request or approve go-live.").classes(
                    "mb-muted text-body2"
                )
            elif request is not None and request.status == PENDING:
                self._decision(request)
            else:
                self._request_button()

    def _gone_live(self) -> None:
        request = self.view.go_live_request
        ui.label(f"{self.partner.name} is {self.partner.status}.").classes("text-body1 text-positive").mark("partner-is-live")
        if request is not None and request.status == APPROVED:
            ui.label(f"Requested by {request.requested_by_label}, {when(request.requested_at)}.").classes("text-body2")
            ui.label(f"Approved by {request.decided_by_label}, {when(request.decided_at)}.").classes("text-body2").mark(
                "approved-by"
            )

    def _request_button(self) -> None:
        ready = self.view.ready_for_go_live_request
        ui.button("Request go-live", icon="send", on_click=self._request).props(
            f"unelevated no-caps {'' if ready else 'disable'}"
        ).classes("w-full").mark("request-go-live")
        if not ready:
            ui.label("Sign off every stage first; then one admin requests go-live and a second admin approves it.").classes(
                "mb-muted text-caption"
            ).mark("request-unavailable")

    def _decision(self, request) -> None:
        own = request.requested_by == self.actor.id
        with ui.column().classes("gap-0").mark("pending-request"):
            with ui.row().classes("items-center gap-2 no-wrap"):
                ui.icon("hourglass_top", color="warning", size="20px")
                ui.label("Waiting for a second admin's approval").classes("text-body1 text-weight-medium")
            ui.label(f"Requested by {request.requested_by_label}, {when(request.requested_at)}").classes("text-body2").mark(
                "requested-by"
            )
            if request.note:
                ui.label(f"“{request.note}”").classes("text-body2 mb-muted")
        approval.decision_bar(
            own=own,
            marker="go-live",
            approve_label="Approve go-live",
            on_approve=self._approve,
            on_reject=self._reject,
            on_withdraw=self._withdraw,
            reason="You requested this go-live; another admin must approve it. You may withdraw it.",
        ).classes("w-full")

    async def _note_dialog(self, title: str, message: str, label: str, action: str, *, colour: str = "primary") -> str | None:
        with ui.dialog() as dialog, ui.card().classes("q-pa-lg w-[520px] gap-3").mark("go-live-dialog"):
            ui.label(title).classes("text-h6")
            ui.label(message).classes("mb-muted")
            note = ui.input(label).props("outlined").classes("w-full").mark("go-live-note")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
                ui.button(action, on_click=lambda: dialog.submit(note.value or "")).props(
                    f"unelevated no-caps color={colour}"
                ).mark("confirm-go-live")
        return await ask(dialog)

    async def _request(self) -> None:
        note = await self._note_dialog(
            f"Request go-live for {self.partner.name}?",
            "Every stage is signed off. A second admin must approve before the partner is live.",
            "Note for the approver (optional)",
            "Request go-live",
        )
        if note is not None and await perform(
            lambda actor: go_live.request_go_live(actor, self.partner.id, note),
            done=f"Go-live requested for {self.partner.name}: a second admin must approve it.",
        ):
            await self.refresh()

    async def _approve(self) -> None:
        note = await self._note_dialog(
            f"Approve go-live for {self.partner.name}?",
            "The partner becomes live at once; its offers can then be published.",
            "Note (optional)",
            "Approve",
            colour="positive",
        )
        if note is not None and await perform(
            lambda actor: go_live.approve_go_live(actor, self.partner.id, note), done=f"Approved: {self.partner.name} is live."
        ):
            await self.refresh()

    async def _reject(self) -> None:
        reason = await self._note_dialog(
            f"Reject go-live for {self.partner.name}?",
            "The partner stays in onboarding and can be requested again.",
            "Why (required)",
            "Reject",
            colour="negative",
        )
        if reason is not None and await perform(
            lambda actor: go_live.reject_go_live(actor, self.partner.id, reason),
            done=f"Rejected go-live for {self.partner.name}.",
        ):
            await self.refresh()

    async def _withdraw(self) -> None:
        reason = await self._note_dialog(
            "Withdraw your go-live request?",
            "Nobody can approve it afterwards; you can request again.",
            "Why (optional)",
            "Withdraw",
        )
        if reason is not None and await perform(
            lambda actor: go_live.withdraw_go_live_request(actor, self.partner.id, reason),
            done=f"Withdrew the go-live request for {self.partner.name}.",
        ):
            await self.refresh()


def go_live_panel(view: OnboardingView, actor: Actor, refresh: Refresh) -> None:
    GoLivePanel(view, actor, refresh).build()
