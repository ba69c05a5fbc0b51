"""A ticket's files in the console: the recipient's photos and PDFs (and the agents' own), each
downloaded only through the desk's service, which checks the role and audits the read; and, for an
agent, a file to add (checked by its content, like the claim page's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import events, ui

from backend.core.authz import Actor
from backend.tickets.services import attachments
from backend.tickets.services.attachments import ACCEPTED, MAX_BYTES, AttachmentUpload, AttachmentView
from backend.tickets.views import CLOSED, TicketView
from ui.components.action import perform
from ui.components.display import when
from ui.pages.catalog.evidence import size

Act = Callable[[Callable[[Actor], Awaitable[object]], str], Awaitable[bool]]


async def download(file: AttachmentView) -> None:
    found = await perform(lambda actor: attachments.attachment_content(actor, file.id))
    if found is not None:
        view, content = found
        ui.download.content(content, view.file_name, view.content_type)
        ui.notify(f"Downloaded {view.file_name} ({size(view.size_bytes)}); the read is in the audit log.", type="positive")


async def files_card(actor: Actor, ticket: TicketView, act: Act, can_act: bool) -> None:
    files = await attachments.ticket_attachments(actor, ticket.id)
    with ui.card().classes("mb-card w-full q-pa-md gap-2").mark("ticket-files"):
        ui.label("Files").classes("text-subtitle1 text-weight-medium")
        if not files:
            ui.label("No file attached.").classes("mb-muted text-body2")
        for file in files:
            if file.purged_at is not None:
                ui.label(f"A file removed after the retention period ({size(file.size_bytes)})").classes("mb-muted text-body2")
                continue
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                ui.icon("attach_file", size="18px").classes("mb-muted")
                with ui.column().classes("col-grow gap-0").style("min-width: 0"):
                    ui.label(file.file_name).classes("text-body2 text-weight-medium ellipsis")
                    # "recipient (claim page of reward …)": the first word says who
                    ui.label(
                        f"{size(file.size_bytes)} · {file.uploaded_by_label.split(' (')[0]} · {when(file.uploaded_at)}"
                    ).classes("text-caption mb-muted")
                ui.button(icon="download", on_click=lambda f=file: download(f)).props("flat dense round").tooltip(
                    "Download (the read is audited)"
                ).mark("download-file")
        if can_act and ticket.status != CLOSED:

            async def received(event: events.UploadEventArguments) -> None:
                upload = AttachmentUpload(event.file.name, await event.file.read())
                await act(
                    lambda actor: attachments.attach(actor, ticket.id, [upload]),
                    lambda kept: f"{kept[0].file_name} attached." if kept else "That file is attached already.",
                )

            ui.upload(
                label=f"Attach a picture or a PDF ({ACCEPTED}; up to {MAX_BYTES // (1024 * 1024)} MB)",
                auto_upload=True,
                max_file_size=MAX_BYTES,
                on_upload=received,
                on_rejected=lambda: ui.notify(f"That file is larger than {MAX_BYTES // (1024 * 1024)} MB.", type="negative"),
            ).props("flat bordered").classes("w-full").mark("attach-file")
