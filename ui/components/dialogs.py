"""Dialogs that ask something: ``ask`` waits for the answer and clears the dialog away;
``confirm`` asks before something that cannot be undone, in the words of what will happen."""

from __future__ import annotations

from typing import Any

from nicegui import ui


async def ask(dialog: ui.dialog) -> Any:
    """Open ``dialog``, wait for what it submits (None when dismissed or the page went away), then remove it."""
    try:
        return await dialog
    finally:
        if not dialog.is_deleted:  # the person may have left the page while it was open
            dialog.delete()


async def confirm(title: str, message: str, *, confirm_label: str, danger: bool = False) -> bool:
    """True when the person confirmed; closing the dialog or "Cancel" means no."""
    with ui.dialog() as dialog, ui.card().classes("q-pa-md min-w-[420px] max-w-[560px]").mark("confirm-dialog"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("warning" if danger else "help_outline", size="28px", color="negative" if danger else "primary")
            ui.label(title).classes("text-h6")
        ui.label(message).classes("text-body1 mb-muted")
        with ui.row().classes("w-full justify-end gap-2 q-mt-md"):
            ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps").mark("confirm-cancel")
            ui.button(confirm_label, on_click=lambda: dialog.submit(True)).props(
                f"unelevated no-caps color={'negative' if danger else 'primary'}"
            ).mark("confirm-ok")
    return bool(await ask(dialog))
