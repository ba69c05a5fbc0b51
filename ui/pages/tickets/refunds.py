"""A ticket's points refunds: the agent picks one of the recipient's redemptions (date, points,
reference, what is left to refund) and asks for all or part of it back; below the programme's
threshold it is refunded at once, above it a second person approves or rejects it here (its
requester may withdraw it), in the console's one approval pattern."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.core.authz import Actor
from backend.tickets.services import actions, desk
from backend.tickets.services.action_rows import APPROVED, DONE, PENDING_APPROVAL, REFUND_POINTS, REJECTED, WITHDRAWN, ActionView
from backend.tickets.services.actions import points_words as points
from backend.tickets.services.refundable import Redemption
from backend.tickets.views import CLOSED, TicketView
from ui.components import approval
from ui.components.action import perform
from ui.components.dialogs import ask, confirm
from ui.components.display import when
from ui.pages.ledger.adjustments import whole

Refresh = Callable[[], Awaitable[None]]
STATUSES = {
    PENDING_APPROVAL: ("Waiting for a second person", "warning"),
    APPROVED: ("Approved", "positive"),
    DONE: ("Refunded", "positive"),
    REJECTED: ("Rejected", "grey-7"),
    WITHDRAWN: ("Withdrawn", "grey-7"),
}


def redemption_words(redemption: Redemption) -> str:
    """How a redemption reads in the list to pick from: when, how many points, the reference, what is left."""
    words = f"{when(redemption.redeemed_at)} · {points(redemption.points)} · {redemption.reference or 'no reference'}"
    return words if redemption.refundable == redemption.points else f"{words} · {points(redemption.refundable)} left"


def said(action: ActionView) -> str:
    if action.status == PENDING_APPROVAL:
        return f"Refund of {points(action.amount)} asked: it waits for a second person's approval."
    return f"Refunded {points(action.amount)} to the recipient's points balance."


class RefundsCard:
    def __init__(self, actor: Actor, ticket: TicketView, found: list[ActionView], can_act: bool, refresh: Refresh) -> None:
        self.actor, self.ticket, self.found, self.can_act, self.refresh = actor, ticket, found, can_act, refresh

    @property
    def can_request(self) -> bool:
        return self.can_act and self.ticket.recipient_id is not None and self.ticket.status != CLOSED

    def build(self) -> None:
        with ui.card().classes("mb-card w-full q-pa-md gap-2").mark("refunds-card"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.icon("currency_exchange", color="primary")
                ui.label("Points refunds").classes("text-subtitle1 text-weight-medium col-grow")
                if self.can_request:
                    ui.button("Refund points", icon="undo", on_click=self._request).props("outline no-caps").mark("refund-points")
            if not self.found:
                ui.label("No refund on this ticket yet.").classes("mb-muted text-body2")
            for action in self.found:
                self._action(action)

    async def _request(self) -> None:
        """The refund form: pick a redemption, the points (all that is left by default), why."""
        redemptions = await perform(lambda actor: actions.refundable_redemptions(actor, self.ticket.id))
        if redemptions is None:
            return
        if not redemptions:
            ui.notify(
                "Nothing to refund: the recipient has no redemption in this programme with points left to refund.",
                type="info",
            )
            return
        threshold = (await desk.desk_settings(self.ticket.programme_id)).approval_above_points
        by_id = {str(redemption.transfer_id): redemption for redemption in redemptions}
        # One request per dialog, however often "Refund" is clicked (a slow network, a double click).
        idempotency_key = f"console-refund-{uuid.uuid4()}"
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[560px] gap-3").mark("refund-dialog"):
            ui.label("Refund points").classes("text-h6")
            ui.label(
                "The points go back to the recipient's wallet (a reversal of the redemption) and the ticket's thread "
                "tells them."
                + (f" Above {points(threshold)} a second person approves it first." if threshold is not None else "")
            ).classes("mb-muted text-body2")
            pick = (
                ui.select({key: redemption_words(r) for key, r in by_id.items()}, value=next(iter(by_id)), label="Redemption")
                .props("outlined")
                .classes("w-full")
                .mark("refund-redemption")
            )
            amount = (
                ui.number("Points to refund", value=redemptions[0].refundable, min=1, step=1, precision=0)
                .props("outlined")
                .classes("w-full")
                .mark("refund-amount")
            )
            left = ui.label().classes("mb-muted text-caption").mark("refund-left")

            def picked() -> None:
                chosen = by_id[pick.value]
                amount.value = chosen.refundable  # the whole of what is left, unless the agent types less
                left.text = f"At most {points(chosen.refundable)}: " + (
                    f"{points(chosen.refunded)} refunded already, {points(chosen.awaiting_approval)} waiting for approval."
                    if chosen.refundable != chosen.points
                    else "none of it refunded yet."
                )

            picked()
            pick.on_value_change(lambda _: picked())
            reason = ui.textarea("Why (kept in the audit log)").props("outlined autogrow").classes("w-full").mark("refund-reason")

            async def send() -> None:
                requested = await perform(
                    lambda actor: actions.request_points_refund(
                        actor,
                        self.ticket.id,
                        uuid.UUID(pick.value),
                        whole(amount.value),
                        reason.value or "",
                        idempotency_key=idempotency_key,
                    ),
                    fields={"transfer_id": pick, "points": amount, "reason": reason},
                    done=said,
                )
                if requested is not None:
                    dialog.submit(requested)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
                ui.button("Refund", on_click=send).props("unelevated no-caps").mark("send-refund")
        if await ask(dialog) is not None:
            await self.refresh()

    def _action(self, action: ActionView) -> None:
        words, colour = STATUSES.get(action.status, (action.status, "grey-7"))
        with ui.column().classes("w-full gap-1").mark(f"refund-{action.id}"):
            with ui.row().classes("items-center gap-2"):
                ui.label(points(action.amount)).classes("text-body1 text-weight-medium")
                ui.badge(words, color=colour).props("outline").mark("refund-status")
            ui.label(f"“{action.reason}” · asked by {action.requested_by_label}, {when(action.created_at)}").classes(
                "mb-muted text-body2"
            )
            if action.decided_by_label:
                ui.label(f"Decided by {action.decided_by_label}, {when(action.decided_at)}").classes("mb-muted text-caption")
            if action.status == PENDING_APPROVAL and self.can_act:
                approval.decision_bar(
                    own=action.requested_by_id == self.actor.id,
                    marker="refund",
                    approve_label=f"Approve {points(action.amount)}",
                    on_approve=lambda: self._approve(action),
                    on_reject=lambda: self._decline(action, withdraw=False),
                    on_withdraw=lambda: self._decline(action, withdraw=True),
                )

    async def _approve(self, action: ActionView) -> None:
        if not await confirm(
            f"Refund {points(action.amount)}?",
            f"{action.requested_by_label} asked for it: “{action.reason}”. The points go back to the wallet at once.",
            confirm_label="Approve",
        ):
            return
        if await perform(
            lambda actor: actions.approve_action(actor, action.id),
            done=f"Approved: {points(action.amount)} refunded.",
        ):
            await self.refresh()

    async def _decline(self, action: ActionView, *, withdraw: bool) -> None:
        verb = "Withdraw" if withdraw else "Reject"
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[480px] gap-3").mark("refund-decline-dialog"):
            ui.label(f"{verb} the refund of {points(action.amount)}?").classes("text-h6")
            ui.label("No points move.").classes("mb-muted")
            note = ui.input("Why (optional)").props("outlined").classes("w-full").mark("refund-note")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
                ui.button(verb, on_click=lambda: dialog.submit(note.value or "")).props("unelevated no-caps color=negative").mark(
                    "send-refund-decline"
                )
        reason = await ask(dialog)
        if reason is None:
            return
        decide = actions.withdraw_action if withdraw else actions.reject_action
        if await perform(
            lambda actor: decide(actor, action.id, reason),
            done=f"{'Withdrew' if withdraw else 'Rejected'} the refund of {points(action.amount)}: no points moved.",
        ):
            await self.refresh()


def refunds_card(actor: Actor, ticket: TicketView, found: list[ActionView], can_act: bool, refresh: Refresh) -> None:
    """Shown when the ticket has refunds, or when the agent may ask for one (the ticket names its recipient)."""
    refunds = [action for action in found if action.kind == REFUND_POINTS]
    card = RefundsCard(actor, ticket, refunds, can_act, refresh)
    if refunds or card.can_request:
        card.build()
