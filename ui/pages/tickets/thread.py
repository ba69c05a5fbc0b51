"""A ticket's conversation: the recipient's messages, the agents' replies and the internal notes,
each looking like what it is (a note is never mistaken for something the recipient saw), and the
box an agent writes a reply or a note in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from backend.tickets.views import AGENT, NOTE, RECIPIENT, MessageView
from ui.components.display import when

STYLES = {
    RECIPIENT: ("person", "Recipient", "bg-grey-2", "items-start"),
    AGENT: ("support_agent", "Reply to the recipient", "bg-purple-1", "items-end"),
    NOTE: ("lock", "Internal note · not shown to the recipient", "bg-amber-1", "items-end"),
}


def message_card(message: MessageView) -> None:
    icon, title, background, side = STYLES.get(message.kind, STYLES[RECIPIENT])
    with ui.column().classes(f"w-full {side} gap-0"):
        border = "border: 1px dashed #c69200" if message.kind == NOTE else "border: 1px solid #e4e1ec"
        with ui.card().classes(f"{background} q-pa-sm max-w-[85%] shadow-0").style(border).mark(f"message-{message.kind}"):
            with ui.row().classes("items-center gap-1 no-wrap"):
                ui.icon(icon, size="16px").classes("mb-muted")
                ui.label(f"{title} · {message.author_label}").classes("text-caption text-weight-medium")
            ui.label(message.body).classes("text-body2").style("white-space: pre-wrap")
        ui.label(when(message.created_at)).classes("text-caption mb-muted")


def thread_card(messages: list[MessageView]) -> None:
    with ui.card().classes("mb-card w-full q-pa-md gap-3").mark("ticket-thread"):
        ui.label("Conversation").classes("text-subtitle1 text-weight-medium")
        if not messages:
            ui.label("No message yet.").classes("mb-muted")
        for message in messages:
            message_card(message)


Send = Callable[[str, str, bool], Awaitable[bool]]


def composer(send: Send) -> None:
    """``send(kind, body, await_recipient)`` runs the action; the box empties once it is done."""
    with ui.card().classes("mb-card w-full q-pa-md gap-2").mark("composer"):
        body = ui.textarea("Write to the recipient, or a note for colleagues").props("outlined autogrow").classes("w-full")
        body.mark("message-body")
        wait = ui.checkbox("Wait for the recipient's answer (pauses the SLA clocks until they reply)", value=True)
        wait.mark("await-recipient")

        async def go(kind: str) -> None:
            if await send(kind, body.value or "", bool(wait.value)):
                body.value = ""

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Add internal note", icon="lock", on_click=lambda: go(NOTE)).props("outline no-caps").mark("add-note")
            ui.button("Reply to recipient", icon="send", on_click=lambda: go(AGENT)).props("unelevated no-caps").mark(
                "send-reply"
            )
    body.on("keydown.ctrl.enter", lambda: go(AGENT))
