""" "Send a test message": the console asks, the worker sends (``test_sends``), and this dialog
follows the request until its outcome is in, saying in words what happened."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.deliveries.services import test_sends
from backend.deliveries.services.test_sends import TestSendView
from ui import navigation
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.pages.deliveries.words import failure_reason
from ui.pages.delivery_settings.words import CHANNEL_LABELS, CONTACT_HINTS, ROLE_LABELS
from ui.session import current_actor

POLL_SECONDS = 0.5
WORKER_HINT_AFTER = 20  # polls (10 s) without an outcome: say that a worker must be running


def outcome_words(test: TestSendView) -> str:
    if test.status == "sent":
        return f"Sent to {test.contact} through {test.provider} in {test.latency_ms} ms" + (
            f" (provider's message id {test.provider_message_id})." if test.provider_message_id else "."
        )
    if test.status == "failed":
        return f"Not sent ({failure_reason(test.error_code).lower()}): {test.error_text}"
    if test.status == "sending":
        return "A worker is sending it…"
    return "Queued: waiting for a worker to send it…"


async def send_test_message(programme_id: uuid.UUID, channel: str, role: str) -> None:
    with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[520px] max-w-[95vw] gap-3").mark("test-dialog"):
        ui.label(f"Send a test {CHANNEL_LABELS[channel]} message").classes("text-h6")
        ui.label(
            f"The worker sends the programme's {CHANNEL_LABELS[channel]} template, filled with sample values, through "
            f"the {ROLE_LABELS[role].lower()} provider, exactly as it sends a reward."
        ).classes("mb-muted text-body2")
        contact = (
            ui.input("Send to", placeholder=CONTACT_HINTS[channel]).props("outlined dense").classes("w-full").mark("test-contact")
        )
        language = ui.input("Template language", value="en").props("outlined dense").classes("w-32").mark("test-language")
        with ui.row().classes("w-full items-start gap-2 no-wrap").mark("test-outcome") as outcome_row:
            icon = ui.icon("schedule", size="22px", color="grey-7")
            outcome = ui.label().classes("text-body2 break-words").mark("test-outcome-text")
        outcome_row.set_visibility(False)
        inbox = ui.link("See it in the sandbox inbox", navigation.SANDBOX_INBOX.path).classes("text-primary").mark("test-inbox")
        inbox.set_visibility(False)
        state: dict = {"polls": 0, "test_id": None}

        async def poll() -> None:
            if state["test_id"] is None:
                return
            actor = await current_actor()
            if actor is None:
                timer.deactivate()
                return
            test = await test_sends.get_test_send(actor, state["test_id"])
            state["polls"] += 1
            outcome.text = outcome_words(test)
            if test.finished:
                timer.deactivate()
                if test.status == "sent" and test.provider == "sandbox":
                    inbox.set_visibility(True)
                icon.name, icon.props["color"] = ("check_circle", "positive") if test.status == "sent" else ("error", "negative")
                icon.update()
                send.enable()
            elif state["polls"] == WORKER_HINT_AFTER:
                outcome.text += " No worker has answered yet: is `mirabelle worker` (or `mirabelle up`) running?"

        timer = ui.timer(POLL_SECONDS, poll, active=False)

        async def request() -> None:
            test = await perform(
                lambda actor: test_sends.request_test_send(
                    actor, programme_id, channel, role, contact.value or "", language.value or "en"
                ),
                fields={"contact": contact, "language": language},
            )
            if test is None:
                return
            state.update(test_id=test.id, polls=0)
            outcome_row.set_visibility(True)
            inbox.set_visibility(False)
            icon.name, icon.props["color"] = "schedule", "grey-7"
            icon.update()
            outcome.text = outcome_words(test)
            send.disable()
            timer.activate()

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Close", on_click=lambda: dialog.submit(None)).props("flat no-caps").mark("test-close")
            send = ui.button("Send test", icon="send", on_click=request).props("unelevated no-caps").mark("test-send")
    await ask(dialog)
