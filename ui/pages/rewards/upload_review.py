"""One upload's review: how many rows are valid and invalid, what was said of the file as a whole
(columns ignored, rows flagged), every bad row with its line and reasons (paged by the service), the
rows flagged as possible duplicates (kept and issued unless fixed), a fix for a row in place, the error report to download, the
dry run that prices the file against the campaign as it stands, and the approval by a second admin
with its progress."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.campaigns.services import campaigns
from backend.campaigns.views import CampaignView
from backend.core.authz import Actor, Permission
from backend.core.errors import NotFound
from backend.rewards.uploads.services import review
from backend.rewards.uploads.views import APPROVED, COMPLETED, STAGED, VALIDATING, UploadRowView, UploadView
from ui import navigation
from ui.components.action import sentence
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.components.status_badge import status_badge
from ui.components.watch import Watch
from ui.pages.deliveries.upload_deliveries import upload_deliveries
from ui.pages.rewards.campaigns_list import campaign_url
from ui.pages.rewards.upload_actions import UploadActions
from ui.pages.rewards.upload_fix import fix_row
from ui.pages.rewards.words import UPLOAD_STATUS_COLOURS, UPLOAD_STATUSES
from ui.session import signed_in
from ui.theme import frame

BAD_ROW_COLUMNS = [
    Column("line", "Line", align="right"),
    Column("external_id", "External id"),
    Column("problems", "What is wrong", wrap=True),
    Column("cells", "Row as uploaded", ellipsis=True),
]
FLAGGED_ROW_COLUMNS = [
    Column("line", "Line", align="right"),
    Column("external_id", "External id"),
    Column("problems", "Why it is flagged", wrap=True),
    Column("cells", "Row as uploaded", ellipsis=True),
]
FIX = [RowAction("fix", "Fix", "edit")]


def problems_text(row: UploadRowView) -> str:
    return (
        "; ".join(f"{problem.field}: {problem.message}" if problem.field else problem.message for problem in row.problems)
        or EMPTY
    )


def warnings_text(row: UploadRowView) -> str:
    return "; ".join(warning.message for warning in row.warnings) or EMPTY


def _bad_row(row: UploadRowView, can_fix: bool, flagged: bool = False) -> dict:
    return {
        "id": str(row.line),
        "line": row.line,
        "external_id": row.external_id or EMPTY,
        "problems": warnings_text(row) if flagged else problems_text(row),
        "cells": ", ".join(f"{name}={value}" for name, value in row.cells.items() if value) or EMPTY,
        "actions": ["fix"] if can_fix else [],
    }


def _tally(label: str, value: int, marker: str, icon: str, colour: str) -> None:
    with ui.card().classes("mb-card q-pa-md gap-1").mark(marker):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon(icon, size="22px", color=colour)
            ui.label(label).classes("text-body2 text-weight-medium")
        ui.label(f"{value:,}").classes("text-h4 text-weight-bold").mark(f"{marker}-value")


class UploadReviewPage:
    def __init__(self, actor: Actor, upload: UploadView, campaign: CampaignView) -> None:
        self.actor, self.upload, self.campaign = actor, upload, campaign
        self.rows: dict[str, UploadRowView] = {}
        self.tallies: ui.element | None = None
        self.status: ui.badge | None = None
        self.bad_rows: PagedTable | None = None
        self.notices: ui.column | None = None
        self.flagged: ui.column | None = None
        self.flagged_rows: PagedTable | None = None
        # While the worker validates or issues, the page's own progress poll follows it.
        self.watch = Watch(self.fingerprint, self.redraw, paused=lambda: self.upload.status in (VALIDATING, APPROVED))

    @property
    def can_fix(self) -> bool:
        return self.upload.status == STAGED and self.actor.can(Permission.REWARDS_WRITE)

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await review.invalid_rows(actor, self.upload.id, request.offset, request.limit)
        self.rows.update({str(row.line): row for row in page.rows})
        return [_bad_row(row, self.can_fix) for row in page.rows], page.total or self.upload.rows_invalid

    async def fetch_flagged(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        rows = await review.flagged_rows(actor, self.upload.id, offset=request.offset, limit=request.limit)
        self.rows.update({str(row.line): row for row in rows})
        return [_bad_row(row, self.can_fix, flagged=True) for row in rows], self.upload.rows_flagged

    def show_notices(self) -> None:
        self.notices.clear()
        with self.notices:
            for notice in self.upload.notices:
                with ui.row().classes("items-center gap-2 no-wrap"):
                    ui.icon("info", color="primary")
                    ui.label(sentence(notice)).classes("text-body2").mark("upload-notice")
        self.flagged.set_visibility(self.upload.rows_flagged > 0)

    def show_status(self) -> None:
        self.status.set_text(UPLOAD_STATUSES.get(self.upload.status, self.upload.status))
        self.status.props(f"color={UPLOAD_STATUS_COLOURS.get(self.upload.status, 'grey-7')}")

    def show_tallies(self) -> None:
        self.tallies.clear()
        with self.tallies:
            _tally("Rows", self.upload.rows_total, "upload-rows", "table_rows", "primary")
            _tally("Valid", self.upload.rows_valid, "upload-valid", "check_circle", "positive")
            _tally(
                "To fix",
                self.upload.rows_invalid,
                "upload-invalid",
                "error",
                "negative" if self.upload.rows_invalid else "grey-6",
            )

    async def build(self) -> None:
        upload = self.upload
        with frame(
            upload.file_name,
            f"For {self.campaign.name} · uploaded by {upload.uploaded_by_label} on {when(upload.uploaded_at)} · "
            f"{upload.file_format.upper()}, {upload.size_bytes:,} bytes",
        ) as page:
            with page.actions:
                self.status = status_badge("", "grey-7", "upload-status")
                self.show_status()
            with ui.row().classes("gap-4"):
                ui.link("← All uploads", navigation.UPLOADS.path).classes("text-primary text-body2")
                ui.link("Campaign", campaign_url(self.campaign.id)).classes("text-primary text-body2")
            self.tallies = ui.element("div").classes("mb-tallies")
            self.show_tallies()
            if self.upload.status in (APPROVED, COMPLETED) and self.actor.can(Permission.DELIVERIES_READ):
                await upload_deliveries(self.actor, self.upload.id)
            self.notices = ui.column().classes("gap-1").mark("upload-notices")
            self.actions = UploadActions(self)
            self.actions.build()
            with ui.row().classes("items-center gap-2 q-mt-md"):
                ui.icon("error_outline", color="negative")
                ui.label("Rows to fix").classes("text-subtitle1 text-weight-medium")
            ui.label("Invalid rows are never issued. Fix one here, or correct the file and upload it again.").classes(
                "mb-muted text-body2"
            )
            self.bad_rows = PagedTable(
                BAD_ROW_COLUMNS,
                self.fetch,
                actions=FIX if self.actor.can(Permission.REWARDS_WRITE) else None,  # per row, only while staged
                on_action=self.act,
                row_key="id",
                marker="bad-rows-table",
                empty_text="Every row is valid",
            )
            self.bad_rows.table.props("dense")
            with ui.column().classes("w-full gap-2") as self.flagged:
                with ui.row().classes("items-center gap-2 q-mt-md"):
                    ui.icon("content_copy", color="warning")
                    ui.label("Possible duplicates").classes("text-subtitle1 text-weight-medium")
                ui.label(
                    "Same recipient and offer as another line, with another amount. Kept, each is issued: fix a row "
                    "to change it, or discard the upload."
                ).classes("mb-muted text-body2")
                self.flagged_rows = PagedTable(
                    FLAGGED_ROW_COLUMNS,
                    self.fetch_flagged,
                    actions=FIX if self.can_fix else None,
                    on_action=self.act,
                    row_key="id",
                    marker="flagged-rows-table",
                    empty_text="No row is flagged",
                )
                self.flagged_rows.table.props("dense")
            self.show_notices()
        async with self.watch.drawing():
            await self.bad_rows.reload()
            if self.upload.rows_flagged:
                await self.flagged_rows.reload()
            await self.actions.start()

    async def fingerprint(self, actor: Actor) -> tuple:
        upload = await review.get_upload(actor, self.upload.id)
        return upload.status, upload.decided_at, upload.rows_valid, upload.rows_invalid, upload.rows_flagged

    async def act(self, action: str, row: dict) -> None:
        if action == "fix" and await fix_row(self.upload, self.rows[row["id"]], self.campaign):
            await self.refresh()

    async def refresh(self) -> None:
        async with self.watch.drawing():
            await self.redraw()

    async def redraw(self) -> None:
        """The upload as it is now: its counts, its bad rows and what may be done next."""
        self.upload = await review.get_upload(self.actor, self.upload.id)
        self.show_status()
        self.show_tallies()
        self.show_notices()
        await self.bad_rows.reload(first_page=False)
        await self.flagged_rows.reload(first_page=False)
        self.actions.refresh()


async def upload_page(upload_id: str) -> None:
    actor = signed_in().actor
    try:
        upload = await review.get_upload(actor, uuid.UUID(upload_id))
    except (ValueError, NotFound):
        with frame("Upload not found"):
            ui.label(f"There is no upload with id {upload_id}.").classes("text-body1").mark("upload-not-found")
            ui.link("Back to uploads", navigation.UPLOADS.path)
        return
    campaign = await campaigns.get_campaign(actor, upload.campaign_id)
    await UploadReviewPage(actor, upload, campaign).build()
