"""Fixing one bad row of a staged upload in place: its cells as uploaded, what is wrong with them,
and the corrected cells sent to the upload service, which validates the row again with the rules
of the upload itself."""

from __future__ import annotations

from nicegui import ui

from backend.rewards.uploads.services import review
from backend.rewards.uploads.views import UploadRowView, UploadView
from ui.components.action import perform, sentence
from ui.components.dialogs import ask


async def fix_row(upload: UploadView, row: UploadRowView) -> bool:
    """True when the row was saved (valid now or not: the table shows what is still wrong)."""
    with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[640px] max-w-[95vw] gap-3").mark("fix-dialog"):
        ui.label(f"Fix line {row.line}").classes("text-h6")
        with ui.column().classes("gap-1 q-pa-sm rounded-borders bg-red-1 w-full").mark("fix-problems"):
            for problem in (*row.problems, *row.warnings):
                ui.label(f"{problem.field or 'row'}: {sentence(problem.message)}").classes("text-body2 text-negative")
        inputs = {}
        with ui.grid(columns=2).classes("w-full gap-3"):
            for column in upload.columns:
                failing = any(problem.field == column for problem in row.problems)
                inputs[column] = (
                    ui.input(column, value=row.cells.get(column, ""))
                    .props(f"outlined dense {'color=negative' if failing else ''}")
                    .mark(f"fix-{column}")
                )
                if failing:
                    inputs[column].error = next(sentence(p.message) for p in row.problems if p.field == column)

        async def save() -> None:
            changes = {
                name: (element.value or "").strip()
                for name, element in inputs.items()
                if (element.value or "").strip() != (row.cells.get(name) or "")
            }
            fixed = await perform(lambda actor: review.fix_row(actor, upload.id, row.line, changes), fields=inputs)
            if fixed is None:
                return
            if fixed.valid:
                ui.notify(f"Line {row.line} is valid now: it will be issued on approval.", type="positive")
            else:
                still = "; ".join(sentence(problem.message) for problem in fixed.problems)
                ui.notify(f"Line {row.line} saved, still to fix: {still}", type="warning", multi_line=True)
            dialog.submit(True)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
            ui.button("Save and check again", icon="check", on_click=save).props("unelevated no-caps").mark("save-fix")
    return bool(await ask(dialog))
