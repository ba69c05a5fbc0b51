"""One ticket: what it is about (by name), the conversation, its SLA targets with their countdowns,
the actions on its reward (``reward_actions``), and the agent's work on it — claim, reply to the recipient, add an internal note, change the status
and the priority (the SLA targets follow, and the page shows the new ones). Each action says what
it did; opening the page is an audited read of the ticket."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.tickets.services import actions, conversation, desk, reading
from backend.tickets.services.reading import TicketThread
from backend.tickets.views import AGENT, CLOSED, CODE_ALREADY_USED, NEW, NOTE, RESOLVED, TARGETS, SlaTargetView, TicketView
from ui import navigation
from ui.components.action import perform, sentence
from ui.components.dialogs import confirm
from ui.components.display import when
from ui.components.watch import Watch
from ui.pages.tickets.files import files_card
from ui.pages.tickets.links import link_names, links_card
from ui.pages.tickets.queue import assignee_words
from ui.pages.tickets.refunds import refunds_card
from ui.pages.tickets.reward_actions import reward_actions_card
from ui.pages.tickets.thread import composer, thread_card
from ui.pages.tickets.words import (
    CATEGORIES,
    PRIORITIES,
    PRIORITY_COLOURS,
    SOURCES,
    STATUS_COLOURS,
    STATUSES,
    badge,
    countdown,
    countdown_colour,
    duration,
    short_id,
)
from ui.pages.tickets.words import TARGETS as TARGET_WORDS
from ui.session import signed_in
from ui.theme import frame


def target_state(target: SlaTargetView, now) -> tuple[str, str]:
    """A target's state in words and its colour."""
    if target.breached:
        return "breached", "negative"
    if target.met_or_ended:
        return "met", "positive"
    if target.due_at is None:
        return "paused (waiting on the recipient)", "grey-7"
    return f"{countdown(target.due_at, now)} · {when(target.due_at)}", countdown_colour(target.due_at, now)


async def policy_words(programme_id: uuid.UUID, priority: str) -> str:
    targets = await desk.sla_targets(programme_id, priority)
    return (
        f"{PRIORITIES[priority]} priority: first response within {duration(targets.first_response_s)}, "
        f"next response within {duration(targets.next_response_s)}, resolution within {duration(targets.resolution_s)} "
        "of business time."
    )


class TicketPage:
    def __init__(self, actor: Actor, ticket_id: uuid.UUID) -> None:
        self.actor, self.ticket_id = actor, ticket_id
        self.body: ui.column | None = None
        self.programme_id: uuid.UUID | None = None

    @property
    def can_act(self) -> bool:
        return self.actor.can(Permission.TICKETS_WRITE)

    async def build(self) -> None:
        try:
            thread = await reading.get_ticket(self.actor, self.ticket_id)
        except DomainError as error:
            with frame("Ticket"):
                ui.label(sentence(error.errors[0].message)).classes("text-body1").mark("ticket-missing")
                ui.link("Back to the tickets", navigation.TICKETS.path)
            return
        ticket = thread.ticket
        with frame(f"{short_id(ticket.id)} · {CATEGORIES.get(ticket.category, ticket.category)}", ticket.subject or None) as page:
            with page.actions:
                ui.button("All tickets", icon="arrow_back", on_click=lambda: ui.navigate.to(navigation.TICKETS.path)).props(
                    "flat no-caps"
                )
            self.body = ui.column().classes("w-full gap-4")
            # Its refunds, decided by a second person elsewhere (not the whole ticket: opening it is an audited read).
            self.watch = Watch(self.refund_states, self.redraw)
            async with self.watch.drawing():
                await self._fill(thread)

    async def refund_states(self, actor: Actor) -> tuple:
        return tuple((action.id, action.status) for action in await actions.ticket_actions(actor, self.ticket_id))

    async def refresh(self) -> None:
        async with self.watch.drawing():
            await self.redraw()

    async def redraw(self) -> None:
        thread = await reading.get_ticket(self.actor, self.ticket_id)
        self.body.clear()
        await self._fill(thread)

    async def _fill(self, thread: TicketThread) -> None:
        ticket, now = thread.ticket, utcnow()
        names = await link_names(self.actor, ticket)
        policy = await policy_words(ticket.programme_id, ticket.priority)
        refunds = await actions.ticket_actions(self.actor, ticket.id)
        self.programme_id = ticket.programme_id
        with self.body:
            with ui.row().classes("items-center gap-2").mark("ticket-badges"):
                badge(
                    PRIORITIES.get(ticket.priority, ticket.priority),
                    PRIORITY_COLOURS.get(ticket.priority, "grey-7"),
                    "priority-badge",
                )
                badge(STATUSES.get(ticket.status, ticket.status), STATUS_COLOURS.get(ticket.status, "grey-7"), "status-badge")
                badge(countdown(ticket.sla_due_at, now, ticket.status), countdown_colour(ticket.sla_due_at, now), "due-badge")
                ui.label(
                    f"From the {SOURCES.get(ticket.source, ticket.source).lower()} · opened {when(ticket.created_at)}"
                    f" · {assignee_words(self.actor, ticket.assignee_id)} · queue {ticket.queue}"
                    + (f" · {ticket.reports} reports" if ticket.reports > 1 else "")
                ).classes("mb-muted text-body2").mark("ticket-facts")
            with ui.row().classes("w-full gap-4 no-wrap items-start"):
                with ui.column().classes("col-grow gap-4").style("flex: 1 1 0; min-width: 0"):
                    thread_card(thread.messages)
                    if self.can_act and ticket.status != CLOSED:
                        composer(self.send)
                with ui.column().classes("gap-4").style("width: 400px; flex: none"):
                    links_card(ticket, names)
                    await reward_actions_card(self.actor, ticket, self.act, self.can_act)
                    await files_card(self.actor, ticket, self.act, self.can_act)
                    self._sla_card(thread, policy, now)
                    refunds_card(self.actor, ticket, refunds, self.can_act, self.refresh)
                    if self.can_act and ticket.status != CLOSED:
                        self._work_card(ticket)
            if not self.can_act:
                ui.label("You can read this ticket; working it needs the tickets:write permission.").classes(
                    "mb-muted text-body2"
                ).mark("read-only-note")

    def _sla_card(self, thread: TicketThread, policy: str, now) -> None:
        with ui.card().classes("mb-card w-full q-pa-md gap-1").mark("sla-card"):
            ui.label("Service level").classes("text-subtitle1 text-weight-medium")
            by_target = {target.target: target for target in thread.targets}
            for name in TARGETS:
                target = by_target.get(name)
                with ui.row().classes("w-full no-wrap gap-2 items-center"):
                    ui.label(TARGET_WORDS[name]).classes("mb-muted w-32 shrink-0")
                    if target is None:
                        ui.label("not running").classes("mb-muted").mark(f"sla-{name}")
                    else:
                        words, colour = target_state(target, now)
                        ui.label(words).classes(f"text-{colour}").mark(f"sla-{name}")
            ui.label(policy).classes("text-caption mb-muted q-mt-sm").mark("sla-policy")

    def _work_card(self, ticket: TicketView) -> None:
        with ui.card().classes("mb-card w-full q-pa-md gap-2").mark("work-card"):
            ui.label("Work this ticket").classes("text-subtitle1 text-weight-medium")
            if ticket.assignee_id != self.actor.id and self.actor.id is not None:
                label = "Claim (assign to me)" if ticket.assignee_id is None else "Take over (assign to me)"
                ui.button(label, icon="back_hand", on_click=self.claim).props("outline no-caps").mark("claim")
            statuses = {value: words for value, words in STATUSES.items() if value not in (NEW, ticket.status)}
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                status = ui.select(statuses, label="Move to status").props("dense outlined").classes("col-grow")
                status.mark("status-select")
                ui.button("Change", on_click=lambda: self.change_status(status.value, bool(code_used and code_used.value))).props(
                    "unelevated no-caps"
                ).mark("change-status")
            code_used = None
            if ticket.category == CODE_ALREADY_USED and ticket.issuance_id is not None:
                # The agent's finding when resolving: the code was indeed used (a redemption of the reward).
                code_used = ui.checkbox("The code was used (resolving counts it as redeemed)").mark("code-used")
            others = {value: words for value, words in PRIORITIES.items() if value != ticket.priority}
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                priority = ui.select(others, label="Set priority").props("dense outlined").classes("col-grow")
                priority.mark("priority-select")
                ui.button("Set", on_click=lambda: self.change_priority(priority.value)).props("unelevated no-caps").mark(
                    "change-priority"
                )

    # ------------------------------------------------------------ actions

    async def act(self, work: Callable[[Actor], Awaitable[object]], done: str | Callable[[object], str]) -> bool:
        """Run ``work``; once it is done, the page shows the ticket as it is now, then says what was done."""
        outcome: list = []

        async def recorded(actor: Actor) -> bool:
            outcome.append(await work(actor))  # a service may return None: done is told apart by the list
            return True

        if await perform(recorded) is None:
            return False
        await self.refresh()
        with self.body:  # the button clicked went with the old content: say it from the page
            ui.notify(done(outcome[0]) if callable(done) else done, type="positive")
        return True

    async def send(self, kind: str, body: str, await_recipient: bool) -> bool:
        if kind == AGENT and body.strip():
            asked = "Their SLA clocks pause until they answer." if await_recipient else "The ticket stays open."
            if not await confirm(
                "Send this reply to the recipient?",
                f"The recipient sees it on their claim page's ticket thread. {asked}",
                confirm_label="Send reply",
            ):
                return False
        done = (
            "Internal note added: colleagues see it, the recipient does not."
            if kind == NOTE
            else "Reply sent to the recipient"
            + (": the ticket now waits on their answer." if await_recipient else "; the ticket stays open.")
        )
        return await self.act(
            lambda actor: conversation.reply(actor, self.ticket_id, body, author=kind, await_recipient=await_recipient), done
        )

    async def claim(self) -> None:
        await self.act(
            lambda actor: conversation.assign(actor, self.ticket_id, actor.id),
            "The ticket is yours now: it is in “Mine” in the queue.",
        )

    async def change_status(self, status: str | None, code_used: bool = False) -> None:
        if not status:
            ui.notify("Choose the status to move the ticket to.", type="warning")
            return
        if code_used and status != RESOLVED:
            ui.notify("A code is confirmed used when the ticket is resolved.", type="warning")
            return
        if status == CLOSED and not await confirm(
            "Close this ticket?",
            "Every SLA clock ends and the recipient can no longer reopen it by replying; a new report opens a new ticket.",
            confirm_label="Close ticket",
            danger=True,
        ):
            return
        await self.act(
            lambda actor: conversation.change_status(actor, self.ticket_id, status, code_used=code_used),
            f"Status changed to “{STATUSES[status]}”." + (" The code counts as redeemed." if code_used else ""),
        )

    async def change_priority(self, priority: str | None) -> None:
        if not priority:
            ui.notify("Choose the priority to set.", type="warning")
            return

        async def work(actor: Actor) -> str:
            await conversation.change_priority(actor, self.ticket_id, priority)
            return await policy_words(self.programme_id, priority)

        await self.act(work, lambda policy: f"Priority set. The SLA targets follow — {policy}")


async def ticket_page(ticket_id: str) -> None:
    actor = signed_in().actor
    try:
        wanted = uuid.UUID(ticket_id)
    except ValueError:
        with frame("Ticket"):
            ui.label(f"“{ticket_id}” is not a ticket reference.").classes("text-body1").mark("ticket-missing")
        return
    await TicketPage(actor, wanted).build()
