"""One recipient import: the worker's progress while it checks (or applies) the file, then what each
row would do — create, change (which fields), nothing, or rejected (why) — and the choice to apply
it or discard it. Applying is done by the worker too; the page follows its progress."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError
from backend.recipients.imports import applying, reading
from backend.recipients.imports.views import APPLIED, APPLYING, CHECKING, REFUSED, REVIEWED, ImportRowView, ImportView
from ui import navigation
from ui.components.action import perform, sentence
from ui.components.dialogs import confirm
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.components.status_badge import status_badge
from ui.pages.recipient_import_words import IMPORT_STATUSES, ROW_ACTIONS, SOURCES
from ui.session import signed_in
from ui.theme import frame

POLL_SECONDS = 1.0
ROW_COLUMNS = [
    Column("row_number", "Row", align="right"),
    Column("external_id", "External id"),
    Column("full_name", "Name"),
    Column("action", "What happens", badge=True),
    Column("detail", "Detail", wrap=True),
]


def _row(row: ImportRowView) -> dict:
    label, colour = ROW_ACTIONS.get(row.action, (row.action, "grey-7"))
    detail = sentence(row.reason) if row.reason else (f"Changes {row.changes}." if row.changes else EMPTY)
    return {
        "id": str(row.row_number),
        "row_number": row.row_number,
        "external_id": row.external_id or EMPTY,
        "full_name": row.full_name or EMPTY,
        "action": label,
        "action_colour": colour,
        "detail": detail,
    }


def _tally(label: str, value: int, marker: str, colour: str) -> None:
    with ui.card().classes("mb-card q-pa-md gap-1").mark(marker):
        ui.label(label).classes(f"text-body2 text-weight-medium text-{colour}")
        ui.label(f"{value:,}").classes("text-h4 text-weight-bold").mark(f"{marker}-value")


class ImportPage:
    def __init__(self, actor: Actor, record: ImportView) -> None:
        self.actor, self.record = actor, record

    async def build(self) -> None:
        record = self.record
        with frame(
            record.file_name,
            f"{SOURCES.get(record.source, record.source)} · received from {record.requested_by_label} on {when(record.created_at)}",
        ) as page:
            with page.actions:
                self.status = status_badge("", "grey-7", "import-status")
            with ui.row().classes("gap-4"):
                ui.link("← All imports", navigation.RECIPIENT_IMPORTS.path).classes("text-primary text-body2")
                ui.link("Recipients", navigation.RECIPIENTS.path).classes("text-primary text-body2")
            with ui.card().classes("mb-card q-pa-md w-full gap-2").mark("import-progress") as self.progress:
                self.progress_title = ui.label().classes("text-subtitle1 text-weight-medium")
                self.bar = ui.linear_progress(value=0, show_value=False, size="14px").props("color=primary")
                self.progress_text = ui.label().classes("text-body2").mark("import-progress-text")
            self.refusal = ui.label().classes("text-body1 text-negative").mark("import-refusal")
            self.tallies = ui.element("div").classes("mb-tallies")
            with ui.row().classes("w-full items-center justify-between gap-4") as self.decision:
                self.apply = (
                    ui.button(icon="how_to_reg", on_click=self.apply_import).props("unelevated no-caps").mark("apply-import")
                )
                # Kept apart from Apply: discarding is the other answer, not a step beside it.
                self.discard = (
                    ui.button("Discard this import", icon="delete", on_click=self.discard_import)
                    .props("flat no-caps color=negative")
                    .mark("discard-import")
                )
            ui.label("Rows").classes("text-subtitle1 text-weight-medium q-mt-md")
            self.rows = PagedTable(ROW_COLUMNS, self.fetch, marker="import-rows-table", empty_text="No rows yet")
            self.rows.select_filter("action", "What happens", {k: v[0] for k, v in ROW_ACTIONS.items()}, width="w-52")
            self.timer = ui.timer(POLL_SECONDS, self.poll, active=False)
        self.show()
        await self.rows.reload()

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await reading.import_rows(actor, self.record.id, request.filters.get("action"), request.offset, request.limit)
        return [_row(row) for row in page.rows], page.total

    def show(self) -> None:
        record = self.record
        label, colour = IMPORT_STATUSES.get(record.status, (record.status, "grey-7"))
        self.status.set_text(label)
        self.status.props(f"color={colour}")
        working = record.status in (CHECKING, APPLYING)
        self.progress.set_visibility(working)
        if working:
            verb = "Checking" if record.status == CHECKING else "Applying"
            total = record.progress_total
            self.progress_title.set_text(f"{verb} in the background")
            self.bar.set_value(min(1.0, record.progress_done / total) if total else 0)
            of = f" of {'about ' if record.status == CHECKING else ''}{total:,}" if total else ""
            self.progress_text.set_text(f"{record.progress_done:,}{of} rows. This goes on if you close the page.")
            self.timer.activate()
        self.refusal.set_visibility(record.status == REFUSED)
        self.refusal.set_text(f"The file could not be read: {sentence(record.refusal)}" if record.refusal else "")
        self.tallies.clear()
        with self.tallies:
            if record.status == APPLIED:
                _tally("Created", record.created, "import-created", "positive")
                _tally("Updated", record.updated, "import-updated", "primary")
                _tally("Rejected when applied", record.rejected_on_apply, "import-rejected-on-apply", "negative")
            _tally("New recipients", record.to_create, "import-to-create", "positive")
            _tally("Recipients changed", record.to_update, "import-to-update", "primary")
            _tally("No change", record.unchanged, "import-unchanged", "grey-7")
            _tally("Rejected", record.rejected, "import-rejected", "negative")
        may_decide = record.status == REVIEWED and self.actor.can(Permission.RECIPIENTS_WRITE)
        self.decision.set_visibility(may_decide)
        self.apply.set_text(f"Apply {record.to_apply:,} change{'s' if record.to_apply != 1 else ''}")
        self.apply.set_enabled(record.to_apply > 0)

    async def poll(self) -> None:
        before = self.record.status
        self.record = await reading.get_import(self.actor, self.record.id)
        if self.record.status in (CHECKING, APPLYING):
            self.show()
            return
        self.timer.deactivate()
        self.show()
        await self.rows.reload(first_page=False)
        record = self.record
        if before == CHECKING and record.status == REVIEWED:
            ui.notify(
                f"Checked {record.file_name}: {record.to_create:,} new, {record.to_update:,} to change, "
                f"{record.unchanged:,} unchanged, {record.rejected:,} rejected. Nothing is written until you apply it.",
                type="positive",
                multi_line=True,
            )
        elif record.status == APPLIED:
            ui.notify(f"Applied {record.file_name}: {record.created:,} created, {record.updated:,} updated.", type="positive")

    async def apply_import(self) -> None:
        record = self.record
        if not await confirm(
            f"Apply {record.file_name}?",
            f"{record.to_create:,} recipients will be created and {record.to_update:,} changed; "
            f"{record.rejected:,} rejected rows are left out.",
            confirm_label="Apply",
        ):
            return
        applied = await perform(
            lambda actor: applying.apply_import(actor, record.id), done="Applying in the background… see progress below."
        )
        if applied is not None:
            self.record = applied
            self.show()

    async def discard_import(self) -> None:
        if not await confirm(
            f"Discard {self.record.file_name}?",
            "Nothing of this file is written. You can import it again later.",
            confirm_label="Discard",
            danger=True,
        ):
            return
        discarded = await perform(lambda actor: applying.discard_import(actor, self.record.id), done="Discarded.")
        if discarded is not None:
            self.record = discarded
            self.show()


async def import_page(import_id: str) -> None:
    actor = signed_in().actor
    try:
        record = await reading.get_import(actor, uuid.UUID(import_id))
    except (ValueError, DomainError):
        with frame("Import not found"):
            ui.label(f"There is no import with id {import_id}.").classes("text-body1").mark("import-not-found")
            ui.link("Back to imports", navigation.RECIPIENT_IMPORTS.path)
        return
    await ImportPage(actor, record).build()
