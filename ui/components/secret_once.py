"""A secret shown once (an API key, a webhook signing secret): Mirabelle keeps it only hashed or
sealed, so closing this dialog is the person's last chance to copy it."""

from __future__ import annotations

from nicegui import ui

from ui.components.dialogs import ask


async def show_secret_once(
    *, title: str, secret: str, warning: str, usage: str | None = None, secret_marker: str = "secret-value", icon: str = "key"
) -> None:
    with (
        ui.dialog().props("persistent") as dialog,
        ui.card().classes("q-pa-lg w-[620px] max-w-[95vw] gap-3").mark("secret-dialog"),
    ):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon(icon, size="28px", color="secondary")
            ui.label(title).classes("text-h6")
        with ui.row().classes("w-full items-center no-wrap gap-2 q-pa-sm rounded-borders bg-grey-2"):
            ui.label(secret).classes("font-mono text-body2 break-all grow").mark(secret_marker)
            ui.button("Copy", icon="content_copy", on_click=lambda: _copy(secret)).props("unelevated no-caps").mark("copy-secret")
        with ui.row().classes("items-start gap-2 no-wrap q-pa-sm rounded-borders bg-amber-1 text-brown-9"):
            ui.icon("warning", color="warning")
            ui.label(warning).mark("secret-warning")
        if usage:
            ui.label(usage).classes("mb-muted text-caption")
        with ui.row().classes("w-full justify-end"):
            ui.button("I have stored it", on_click=lambda: dialog.submit(True)).props("unelevated no-caps").mark("secret-stored")
    await ask(dialog)  # the secret leaves the page with the dialog


def _copy(secret: str) -> None:
    ui.clipboard.write(secret)
    ui.notify("Copied to the clipboard.", type="positive")
