"""The actions on a ticket's reward, each through its own service: issue a new code from stock (the
old one voided), resend the reward, and the second person's approval of an action that needs one;
below, what was done so far and the messages the recipient was sent about the ticket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.core.authz import SYSTEM, Actor
from backend.deliveries.services import notices
from backend.tickets.services import actions, code_reissue, reward_resend
from backend.tickets.services.action_rows import PENDING_APPROVAL, REFUND_POINTS, REISSUE_CODE, ActionView
from backend.tickets.services.recipient_notices import TICKET
from backend.tickets.views import CLOSED, TicketView
from ui.components import approval
from ui.components.dialogs import confirm
from ui.components.display import when
from ui.pages.rewards.words import amount

Act = Callable[[Callable[[Actor], Awaitable[object]], str], Awaitable[bool]]

KINDS = {"reissue_code": "New code issued", "resend_reward": "Reward resent", "refund_points": "Points refunded"}
STATES = {
    "pending_approval": "waiting for a second person's approval",
    "done": "done",
    "rejected": "rejected",
    "withdrawn": "withdrawn by its requester",
}
NOTICE_STATES = {"pending": "queued", "sending": "sending", "sent": "sent", "failed": "failed"}


def _action_line(action: ActionView, ticket: TicketView) -> str:
    what = KINDS.get(action.kind, action.kind)
    if action.kind == REISSUE_CODE:
        what += f" ({amount(action.amount, ticket.currency)})"
    return (
        f"{what} · {STATES.get(action.status, action.status)} · asked by {action.requested_by_label} · {when(action.created_at)}"
    )


async def reward_actions_card(actor: Actor, ticket: TicketView, act: Act, can_act: bool) -> None:
    done = await actions.ticket_actions(actor, ticket.id)
    sent = await notices.notices_about(SYSTEM, TICKET, ticket.id)  # the ticket's own messages: read with the ticket
    with ui.card().classes("mb-card w-full q-pa-md gap-2").mark("reward-actions"):
        ui.label("The reward").classes("text-subtitle1 text-weight-medium")
        if can_act and ticket.status != CLOSED and ticket.issuance_id is not None:
            with ui.row().classes("w-full gap-2"):
                if ticket.offer_id is not None:
                    ui.button("Issue a new code", icon="autorenew", on_click=lambda: _reissue(ticket, act)).props(
                        "outline no-caps"
                    ).mark("reissue-code")
                ui.button("Resend the reward", icon="forward_to_inbox", on_click=lambda: _resend(ticket, act)).props(
                    "outline no-caps"
                ).mark("resend-reward")
        for action in (action for action in done if action.kind != REFUND_POINTS):  # refunds: on their own card
            with ui.row().classes("w-full items-center no-wrap gap-2").mark(f"action-{action.status}"):
                ui.label(_action_line(action, ticket)).classes("text-body2 col-grow")
                if can_act and action.status == PENDING_APPROVAL:
                    approval.decision_bar(
                        own=action.requested_by_id == actor.id,
                        marker="action",
                        approve_label="Approve",
                        on_approve=lambda a=action: _approve(a, act),
                        on_reject=lambda a=action: _reject(a, act),
                        on_withdraw=lambda a=action: _withdraw(a, act),
                    )
        if sent:
            ui.label("Messages to the recipient").classes("text-caption text-weight-medium q-mt-sm")
            for notice in sent:
                state = NOTICE_STATES.get(notice.status, notice.status)
                reason = f" ({notice.error_text})" if notice.error_text else ""
                ui.label(f"{notice.subject} · {notice.channel} to {notice.contact} · {state}{reason}").classes(
                    "text-caption mb-muted"
                ).mark(f"notice-{notice.status}")


async def _reason(title: str, message: str, label: str) -> str | None:
    with ui.dialog() as dialog, ui.card().classes("q-pa-md min-w-[420px]").mark("reason-dialog"):
        ui.label(title).classes("text-h6")
        ui.label(message).classes("text-body2 mb-muted")
        reason = ui.input("Why (kept in the audit log)").props("outlined").classes("w-full").mark("action-reason")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button(label, on_click=lambda: dialog.submit(reason.value or "")).props("unelevated no-caps").mark("reason-ok")
    return await dialog


async def _reissue(ticket: TicketView, act: Act) -> None:
    reason = await _reason(
        "Issue a new code?",
        "The current code is voided and never shown again; a new one from stock is shown on the claim page and sent "
        "to the recipient. Above the programme's approval value a second person approves it first.",
        "Issue new code",
    )
    if reason is None:
        return

    async def work(actor: Actor) -> ActionView:
        return await code_reissue.request_code_reissue(actor, ticket.id, reason)

    await act(work, said)


async def _resend(ticket: TicketView, act: Act) -> None:
    if not await confirm(
        "Resend the reward?",
        "A failed or pending message is sent again; one that was sent already goes as its claim link in a new message.",
        confirm_label="Resend",
    ):
        return
    await act(lambda actor: reward_resend.resend_reward(actor, ticket.id), said)


async def _approve(action: ActionView, act: Act) -> None:
    await act(lambda actor: actions.approve_action(actor, action.id), said)


async def _reject(action: ActionView, act: Act) -> None:
    await act(lambda actor: actions.reject_action(actor, action.id), said)


async def _withdraw(action: ActionView, act: Act) -> None:
    await act(lambda actor: actions.withdraw_action(actor, action.id), said)


def said(action: ActionView) -> str:
    """What the page says once an action went through."""
    if action.status == PENDING_APPROVAL:
        return f"{KINDS.get(action.kind, action.kind)}: waiting for a second person's approval."
    if action.status == "rejected":
        return "Action rejected: nothing was changed."
    if action.status == "withdrawn":
        return "Action withdrawn: nothing was changed."
    if action.kind == REISSUE_CODE:
        sent = "and sent to the recipient" if action.notice_id else "(the recipient has no contact to send it to)"
        return f"A new code was issued {sent}; the old code is voided."
    return f"{KINDS.get(action.kind, action.kind)}: {action.reason}."
