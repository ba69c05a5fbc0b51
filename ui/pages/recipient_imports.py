"""Import recipients: a file from an HR system (its preset mapping) or any CSV/XLSX with a custom
mapping. The page only stores the file; the worker checks every row and the import's page shows
what would be created, updated or rejected before anything is written."""

from __future__ import annotations

import tempfile
from pathlib import Path

from nicegui import ui
from nicegui.events import UploadEventArguments

from backend.core.authz import Actor
from backend.core.errors import DomainError
from backend.recipients.hr_sync import MAX_CSV_BYTES, SourceSystem
from backend.recipients.hr_sync.mapping import PRESETS
from backend.recipients.imports import reading, receiving
from backend.recipients.imports.views import ImportView
from ui import navigation
from ui.auth import console_page
from ui.components.action import perform, show_errors
from ui.components.display import when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages import recipient_import_review
from ui.pages.recipient_form import parse_attributes
from ui.pages.recipient_import_words import IMPORT_STATUSES, SOURCES, import_url
from ui.theme import frame

COLUMNS = [
    Column("created_at", "Received"),
    Column("file_name", "File", link=True),
    Column("source", "Source"),
    Column("by", "By"),
    Column("rows_total", "Rows", align="right"),
    Column("to_create", "New", align="right"),
    Column("to_update", "Changed", align="right"),
    Column("rejected", "Rejected", align="right"),
    Column("status", "Status", badge=True),
]


def _row(record: ImportView) -> dict:
    label, colour = IMPORT_STATUSES.get(record.status, (record.status, "grey-7"))
    return {
        "id": str(record.id),
        "href": import_url(record.id),
        "created_at": when(record.created_at),
        "file_name": record.file_name,
        "source": SOURCES.get(record.source, record.source),
        "by": record.requested_by_label,
        "rows_total": f"{record.rows_total:,}",
        "to_create": f"{record.to_create:,}",
        "to_update": f"{record.to_update:,}",
        "rejected": f"{record.rejected:,}",
        "status": label,
        "status_colour": colour,
    }


async def _fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
    page = await reading.list_imports(actor, request.offset, request.limit)
    return [_row(record) for record in page.rows], page.total


def preset_columns(source: str) -> str:
    """What a preset reads, in words: "Employee ID → external id, …"."""
    if source not in {s.value for s in PRESETS}:
        return ""
    mapping = PRESETS[SourceSystem(source)]
    return ", ".join(f"{column} → {target.replace('_', ' ')}" for column, target in mapping.columns)


class ImportCard:
    def __init__(self) -> None:
        with ui.card().classes("mb-card q-pa-md w-full gap-3").mark("import-card"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("group_add", color="primary")
                ui.label("Import a file").classes("text-subtitle1 text-weight-medium")
            with ui.row().classes("w-full items-start gap-4"):
                with ui.column().classes("gap-2 grow basis-[320px]"):
                    self.source = (
                        ui.select(SOURCES, label="Where the file comes from", value=SourceSystem.WORKDAY.value)
                        .props("outlined")
                        .classes("w-full")
                        .mark("import-source")
                    )
                    self.columns = ui.label().classes("mb-muted text-caption").mark("import-columns")
                    self.mapping = (
                        ui.textarea(
                            "Your columns, one “column: target” a line",
                            placeholder="Staff no: external_id\nName: full_name\nMail: email\nTeam: department",
                        )
                        .props("outlined autogrow")
                        .classes("w-full")
                        .mark("import-mapping")
                    )
                    ui.label(
                        "Targets: external_id (required), full_name (or first_name and last_name), email, phone, whatsapp, "
                        "country, preferred_channel, hire_date; any other lower_snake_case name is kept as an HR attribute."
                    ).classes("mb-muted text-caption").bind_visibility_from(self.mapping, "visible")
                ui.upload(
                    label="Choose or drop a CSV/XLSX file",
                    auto_upload=True,
                    max_file_size=MAX_CSV_BYTES,
                    on_upload=self.received,
                    on_rejected=lambda: ui.notify(
                        f"That file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB: split it.", type="negative"
                    ),
                ).props('accept=".csv,.xlsx" flat bordered').classes("grow basis-[320px]").mark("import-file")
            ui.label("Nothing is written until you have reviewed every row and applied the import.").classes("text-body2")
        self.source.on_value_change(lambda _: self.show_source())
        self.show_source()

    def show_source(self) -> None:
        custom = self.source.value == SourceSystem.CUSTOM.value
        self.mapping.set_visibility(custom)
        self.columns.set_text("" if custom else f"Columns read: {preset_columns(self.source.value)}.")

    async def received(self, event: UploadEventArguments) -> None:
        fields = {"mapping": self.mapping, "source": self.source}
        mapping = None
        if self.source.value == SourceSystem.CUSTOM.value:
            try:
                mapping = {str(k): str(v) for k, v in parse_attributes(self.mapping.value).items()}
            except DomainError as error:
                show_errors(error, {"hr_attributes": self.mapping})
                event.sender.reset()
                return
        file = event.file
        try:
            with tempfile.TemporaryDirectory(prefix="mirabelle-import-") as folder:
                kept = Path(folder) / "import"
                await file.save(kept)
                with kept.open("rb") as stream:
                    received = await perform(
                        lambda actor: receiving.receive_import(actor, self.source.value, stream, file.name, mapping),
                        fields=fields,
                    )
        finally:
            event.sender.reset()
        if received is None:
            return
        ui.notify(
            f"Received {received.file_name}: checking every row in the background. Nothing is written until you apply it.",
            type="positive",
            multi_line=True,
        )
        ui.navigate.to(import_url(received.id))


async def imports_page() -> None:
    with frame(
        navigation.RECIPIENT_IMPORTS.label,
        "Recipients from an HR export (Workday, SAP SuccessFactors, Darwinbox) or a CSV/XLSX of your own",
    ):
        ui.link("← All recipients", navigation.RECIPIENTS.path).classes("text-primary text-body2")
        ImportCard()
        table = PagedTable(COLUMNS, _fetch, marker="imports-table", empty_text="No imports yet")
    await table.reload()


def register() -> None:
    console_page(navigation.RECIPIENT_IMPORTS)(imports_page)
    console_page(navigation.RECIPIENT_IMPORTS, path=f"{navigation.RECIPIENT_IMPORTS.path}/{{import_id}}")(
        recipient_import_review.import_page
    )
