"""Uploads: the bulk reward files, newest first, and the card to upload one for a campaign. The file
goes to the upload service as a binary stream (the page never decodes it), which stores it; the
worker then checks every row and stages the file for review, issuing nothing, while the upload's
page shows its progress."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from nicegui import ui
from nicegui.events import UploadEventArguments

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignFilter
from backend.campaigns.views import ENDED, CampaignView
from backend.core.authz import Actor, Permission
from backend.rewards.uploads.services import parsing, review, templates
from backend.rewards.uploads.services.columns import EXPECTED
from backend.rewards.uploads.services.staging import receive_upload
from backend.rewards.uploads.views import APPROVED, COMPLETED, UploadView
from ui import navigation
from ui.components.action import perform
from ui.components.display import when
from ui.components.flash import go, say
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.rewards.words import UPLOAD_STATUS_COLOURS, UPLOAD_STATUSES
from ui.session import signed_in
from ui.theme import frame

COLUMNS = [
    Column("uploaded_at", "Uploaded"),
    Column("file_name", "File", link=True),
    Column("campaign", "Campaign"),
    Column("uploaded_by", "By"),
    Column("rows_total", "Rows", align="right"),
    Column("rows_valid", "Valid", align="right"),
    Column("rows_invalid", "Invalid", align="right"),
    Column("progress", "Issued", align="right"),
    Column("status", "Status", badge=True),
]
MAX_CAMPAIGNS = 500
MAX_FILE_BYTES = parsing.MAX_FILE_BYTES  # the browser refuses a larger file before sending it


def upload_url(upload_id: object) -> str:
    return f"{navigation.UPLOADS.path}/{upload_id}"


def _row(upload: UploadView, names: dict) -> dict:
    issuing = upload.status in (APPROVED, COMPLETED)  # while validating, the progress is of validation
    issued = f"{upload.progress_done:,} / {upload.progress_total:,}" if issuing and upload.progress_total else "—"
    return {
        "id": str(upload.id),
        "href": upload_url(upload.id),
        "uploaded_at": when(upload.uploaded_at),
        "file_name": upload.file_name,
        "campaign": names.get(upload.campaign_id, str(upload.campaign_id)),
        "uploaded_by": upload.uploaded_by_label,
        "rows_total": f"{upload.rows_total:,}",
        "rows_valid": f"{upload.rows_valid:,}",
        "rows_invalid": f"{upload.rows_invalid:,}",
        "progress": issued,
        "status": UPLOAD_STATUSES.get(upload.status, upload.status),
        "status_colour": UPLOAD_STATUS_COLOURS.get(upload.status, "grey-7"),
    }


class UploadsPage:
    def __init__(self, actor: Actor, found: list[CampaignView], campaign: str | None) -> None:
        self.actor, self.campaign = actor, campaign
        self.names = {c.id: c.name for c in found}
        self.open_campaigns = {str(c.id): c.name for c in found if c.status != ENDED}
        self.busy: ui.column | None = None
        self.chosen: ui.select | None = None

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        wanted = request.filters
        chosen = wanted.get("campaign")
        page = await review.list_uploads(
            actor, uuid.UUID(chosen) if chosen else None, wanted.get("status"), request.offset, request.limit
        )
        return [_row(upload, self.names) for upload in page.rows], page.total

    async def build(self) -> None:
        with frame(
            navigation.UPLOADS.label,
            "Reward files for a campaign: checked row by row, reviewed, then approved by a "
            "second admin before anything is issued",
        ):
            if self.actor.can(Permission.REWARDS_WRITE):
                self._upload_card()
            table = PagedTable(COLUMNS, self.fetch, marker="uploads-table", empty_text="No uploads yet")
            table.select_filter(
                "campaign", "Campaign", {str(k): v for k, v in self.names.items()}, value=self.campaign, width="w-72"
            )
            table.select_filter("status", "Status", UPLOAD_STATUSES, width="w-44")
        await table.reload()

    def _upload_card(self) -> None:
        with ui.card().classes("mb-card q-pa-md w-full gap-3").mark("upload-card"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("upload_file", color="primary")
                ui.label("Upload a file").classes("text-subtitle1 text-weight-medium")
            if not self.open_campaigns:
                ui.label("There is no open campaign to upload rewards for.").classes("mb-muted")
                ui.link("Create a campaign", navigation.CAMPAIGNS.path).classes("text-primary")
                return
            with ui.row().classes("w-full items-start gap-4 no-wrap"):
                with ui.column().classes("gap-2 w-80"):
                    self.chosen = (
                        ui.select(
                            self.open_campaigns,
                            label="Campaign",
                            with_input=True,
                            value=self.campaign if self.campaign in self.open_campaigns else None,
                        )
                        .props("outlined options-dense")
                        .classes("w-full")
                        .mark("upload-campaign")
                    )
                    ui.label(
                        "CSV (UTF-8, comma or semicolon) or XLSX. First row names the columns: " + EXPECTED + ". "
                        "Amounts in the currency (500.00); offers by code. Start from the campaign's template:"
                    ).classes("mb-muted text-caption")
                    with ui.row().classes("gap-2"):
                        ui.button("Template (XLSX)", icon="download", on_click=lambda: self.download_template("xlsx")).props(
                            "outline no-caps dense"
                        ).mark("template-xlsx")
                        ui.button("Template (CSV)", icon="download", on_click=lambda: self.download_template("csv")).props(
                            "outline no-caps dense"
                        ).mark("template-csv")
                ui.upload(
                    label="Choose or drop a CSV/XLSX file",
                    auto_upload=True,
                    max_file_size=MAX_FILE_BYTES,
                    on_upload=self.received,
                    on_rejected=lambda: ui.notify(
                        f"That file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.", type="negative"
                    ),
                ).props(
                    'accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" flat bordered'
                ).classes("grow").mark("upload-file")
            self.busy = ui.column().classes("w-full gap-1")
            self.busy.set_visibility(False)
            with self.busy:
                ui.label("Sending the file…").classes("text-body2")
                ui.linear_progress(show_value=False).props("indeterminate color=primary")

    async def download_template(self, kind: str) -> None:
        """The chosen campaign's template: its columns, and its offers with codes and valid amounts."""
        if not self.chosen.value:
            self.chosen.error = "Choose the campaign first: its template lists its offers."
            return
        self.chosen.error = None
        campaign_id = uuid.UUID(self.chosen.value)
        template = await perform(lambda actor: templates.upload_template(actor, campaign_id))
        if template is None:
            return
        if kind == "xlsx":
            ui.download.content(templates.template_xlsx(template), f"{template.file_stem}.xlsx", templates.XLSX_TYPE)
        else:  # the BOM tells spreadsheet programs the file is UTF-8
            ui.download.content(templates.template_csv(template).encode("utf-8-sig"), f"{template.file_stem}.csv", "text/csv")
        listed = f" with its {len(template.offers)} offer{'s' if len(template.offers) != 1 else ''}" if template.offers else ""
        ui.notify(f"Downloaded the template of {template.campaign.name}{listed}.", type="positive")

    async def received(self, event: UploadEventArguments) -> None:
        if not self.chosen.value:
            self.chosen.error = "Choose the campaign this file rewards in first."
            event.sender.reset()
            return
        self.chosen.error = None
        campaign_id = uuid.UUID(self.chosen.value)
        file = event.file
        self.busy.set_visibility(True)
        try:
            with tempfile.TemporaryDirectory(prefix="mirabelle-upload-") as folder:
                kept = Path(folder) / "upload"
                await file.save(kept)  # spooled to disk, then streamed by the service: never whole in memory
                with kept.open("rb") as stream:
                    received = await perform(lambda actor: receive_upload(actor, campaign_id, stream, file.name))
        finally:
            self.busy.set_visibility(False)
            event.sender.reset()
        if received is None:
            return
        say(
            f"Received {received.file_name}: checking every row in the background… see progress on its page. "
            "Nothing is issued until a second admin approves."
        )
        go(upload_url(received.id))


async def uploads_page(campaign: str | None = None) -> None:
    actor = signed_in().actor
    found = (await campaigns.list_campaigns(actor, CampaignFilter(), limit=MAX_CAMPAIGNS)).rows
    await UploadsPage(actor, found, campaign).build()
