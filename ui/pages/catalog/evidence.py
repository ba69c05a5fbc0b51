"""Evidence for a checklist item: a note, a file, or both, asked for in a dialog; and the download of
a file already kept."""

from __future__ import annotations

import uuid

from nicegui import events, ui

from backend.partners.services import onboarding
from backend.partners.services.onboarding import MAX_EVIDENCE_BYTES, EvidenceUpload
from backend.partners.views import ChecklistItemView, EvidenceFileView
from ui.components.action import perform
from ui.components.dialogs import ask


def size(size_bytes: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:,.1f} {unit}"
    return f"{size_bytes:,} bytes"


async def download_evidence(file: EvidenceFileView) -> None:
    found = await perform(lambda actor: onboarding.evidence_file_content(actor, file.id))
    if found is not None:
        view, content = found
        ui.download.content(content, view.file_name, view.content_type)
        ui.notify(f"Downloaded {view.file_name} ({size(view.size_bytes)}).", type="positive")


async def complete_item(partner_id: uuid.UUID, partner_name: str, item: ChecklistItemView) -> ChecklistItemView | None:
    """Ask for the evidence and mark the item done; the completed item, or None."""
    chosen: dict[str, EvidenceUpload] = {}
    with ui.dialog() as dialog, ui.card().classes("q-pa-lg w-[620px] max-w-[95vw] gap-3").mark("evidence-dialog"):
        ui.label(item.label).classes("text-h6")
        ui.label(
            f"{partner_name}: record what proves this step. A note, a file, or both; who and when are recorded "
            "with it, and it cannot be edited afterwards."
        ).classes("mb-muted text-body2")
        note = (
            ui.textarea("Note", placeholder="e.g. Registration checked against the company register, ref. U12345")
            .props("outlined autogrow")
            .classes("w-full")
            .mark("evidence-note")
        )
        picked = ui.label("No file attached.").classes("mb-muted text-caption").mark("evidence-file-name")

        async def received(event: events.UploadEventArguments) -> None:
            content = await event.file.read()
            chosen["file"] = EvidenceUpload(
                file_name=event.file.name, content=content, content_type=event.file.content_type or "application/octet-stream"
            )
            picked.set_text(f"Attached: {event.file.name} ({size(len(content))})")
            picked.classes(remove="mb-muted", add="text-positive")

        ui.upload(
            label="Evidence file (optional, up to 10 MB)",
            auto_upload=True,
            max_file_size=MAX_EVIDENCE_BYTES,
            on_upload=received,
            on_rejected=lambda: ui.notify("That file is larger than 10 MB.", type="negative"),
        ).props("flat bordered accept=*").classes("w-full").mark("evidence-upload")

        async def send() -> None:
            done = await perform(
                lambda actor: onboarding.complete_checklist_item(
                    actor, partner_id, item.stage, item.key, note=note.value or "", evidence=chosen.get("file")
                ),
                fields={"note": note},
                done=lambda completed: (
                    f"Done: {completed.label}"
                    + (f", with {completed.evidence_file.file_name}." if completed.evidence_file else ".")
                ),
            )
            if done is not None:
                dialog.submit(done)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button("Mark done", icon="task_alt", on_click=send).props("unelevated no-caps").mark("save-evidence")
    return await ask(dialog)
