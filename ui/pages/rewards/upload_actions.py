"""What may be done with an upload, and what came of it: its validation by the worker (or why the
file was refused), the error report, the dry run (priced against the campaign as it stands),
discarding it, the approval by a second admin and the issuance that follows in the worker — both
with a progress bar polling the upload's progress in the database — and each valid row's outcome
once issued."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.rewards.uploads.services import approval as approval_service
from backend.rewards.uploads.services import pricing, review
from backend.rewards.uploads.views import (
    APPROVED,
    COMPLETED,
    ISSUED,
    PENDING_APPROVAL,
    REFUSED,
    REJECTED,
    STAGED,
    VALIDATING,
    UploadPricing,
    UploadRowView,
)
from ui.components import approval
from ui.components.action import perform, sentence
from ui.components.dialogs import ask, confirm
from ui.components.display import EMPTY
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.rewards.campaign_counters import HELD, LEFT, USED
from ui.pages.rewards.words import amount, refusal_words

if TYPE_CHECKING:
    from ui.pages.rewards.upload_review import UploadReviewPage

POLL_SECONDS = 1.0
OUTCOMES = {
    ISSUED: ("Issued", "positive"),
    PENDING_APPROVAL: ("Waiting for approval", "warning"),
    REJECTED: ("Refused or failed", "negative"),
}
OUTCOME_COLUMNS = [
    Column("line", "Line", align="right"),
    Column("external_id", "External id"),
    Column("value", "Value", align="right"),
    Column("outcome", "Outcome", badge=True),
    Column("message", "Detail", wrap=True),
]
PRICED_COLUMNS = [
    {"name": "line", "label": "Line", "field": "line", "align": "right"},
    {"name": "external_id", "label": "External id", "field": "external_id", "align": "left"},
    {"name": "value", "label": "Value", "field": "value", "align": "right"},
    {"name": "code", "label": "Would be refused", "field": "code", "align": "left"},
    {"name": "message", "label": "Why", "field": "message", "align": "left", "style": "white-space: normal; max-width: 420px"},
]


def file_stem(file_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", file_name.rsplit(".", 1)[0]).strip("-").lower() or "upload"


def budget_chart(priced: UploadPricing, currency: str | None) -> dict | None:
    """Already used, this file and what is left after it, as one bar of the campaign's budget."""
    if priced.budget is None or priced.budget_left_before is None:
        return None
    used = priced.budget - priced.budget_left_before
    this_file = priced.total_value
    left = max(0, priced.budget_left_after or 0)
    parts = (("Already issued or held", used, USED), ("This file", this_file, HELD), ("Left after", left, LEFT))
    return {
        "animation": False,
        "grid": {"left": 16, "right": 16, "top": 36, "bottom": 8},
        "legend": {"top": 0, "left": 16, "data": [name for name, _, _ in parts]},
        "xAxis": {"type": "value", "max": max(priced.budget, used + this_file), "show": False},
        "yAxis": {"type": "category", "data": ["Budget"], "show": False},
        "series": [
            {
                "name": name,
                "type": "bar",
                "stack": "budget",
                "barWidth": 30,
                "itemStyle": {"color": colour},
                "label": {
                    "show": value > 0,
                    "formatter": amount(value, currency),
                    "color": "#4a4660" if colour == LEFT else "#ffffff",
                },
                "data": [value],
            }
            for name, value, colour in parts
        ],
    }


class UploadActions:
    def __init__(self, page: UploadReviewPage) -> None:
        self.page = page
        self.bar: ui.row | None = None
        self.dry_run: ui.column | None = None
        self.progress: ui.card | None = None
        self.progress_title: ui.label | None = None
        self.progress_bar: ui.linear_progress | None = None
        self.progress_text: ui.label | None = None
        self.timer: ui.timer | None = None
        self.results: ui.column | None = None
        self.outcomes: PagedTable | None = None

    @property
    def upload(self):
        return self.page.upload

    @property
    def currency(self) -> str | None:
        return self.page.campaign.currency

    def build(self) -> None:
        self.bar = ui.row().classes("w-full items-center gap-2").mark("upload-actions")
        with ui.card().classes("mb-card q-pa-md w-full gap-2").mark("issue-progress") as self.progress:
            with ui.row().classes("items-center gap-2"):
                ui.icon("send", color="primary")
                self.progress_title = ui.label("Issuing").classes("text-subtitle1 text-weight-medium")
            self.progress_bar = (
                ui.linear_progress(value=0, show_value=False, size="14px")
                .props("rounded instant-feedback color=primary")
                .mark("issue-progress-bar")
            )
            self.progress_text = ui.label().classes("text-body2").mark("issue-progress-text")
        self.dry_run = ui.column().classes("w-full gap-3").mark("dry-run")
        self.results = ui.column().classes("w-full gap-2")
        with self.results:
            with ui.row().classes("items-center gap-2 q-mt-md"):
                ui.icon("checklist", color="primary")
                ui.label("What each valid row became").classes("text-subtitle1 text-weight-medium")
            self.outcomes = PagedTable(
                OUTCOME_COLUMNS, self.fetch_outcomes, row_key="line", marker="upload-outcomes", empty_text="No valid rows"
            )
            self.outcomes.table.props("dense")
        self.timer = ui.timer(POLL_SECONDS, self.poll, active=False)
        self.refresh()

    async def start(self) -> None:
        if self.upload.status in (APPROVED, COMPLETED):
            await self.outcomes.reload()
        if self.upload.status in (VALIDATING, APPROVED):  # the worker is at it: follow its progress
            self.timer.activate()

    def refresh(self) -> None:
        upload, actor = self.upload, self.page.actor
        can_write = actor.can(Permission.REWARDS_WRITE)
        self.bar.clear()
        with self.bar:
            if upload.status == REFUSED:
                ui.label(f"The file was refused as a whole: {sentence(upload.refusal)} Nothing was staged.").classes(
                    "text-negative text-body1"
                ).mark("upload-refusal")
            if upload.rows_invalid:
                ui.button(f"Error report ({upload.rows_invalid:,} rows)", icon="download", on_click=self.download_report).props(
                    "outline no-caps"
                ).mark("error-report")
            if upload.status == STAGED and can_write:
                ui.button("Dry run", icon="calculate", on_click=self.run_dry).props("outline no-caps").mark("dry-run-button")
                ui.space()
                own = upload.uploaded_by == actor.id
                approval.decision_bar(
                    own=own,
                    marker="upload",
                    approve_label=f"Approve and issue {upload.rows_valid:,} rows",
                    approve_icon="verified",
                    on_approve=self.approve,
                    on_reject=self.discard,
                    on_withdraw=self.discard,
                    reason="You uploaded this file; another admin must approve it. You may withdraw it.",
                ).classes("items-end")
            if upload.decided_by_label:
                ui.label(
                    f"Decided by {upload.decided_by_label}" + (f": “{upload.decision_note}”" if upload.decision_note else "")
                ).classes("mb-muted text-body2").mark("upload-decision")
        self.progress.set_visibility(upload.status in (VALIDATING, APPROVED, COMPLETED))
        self.results.set_visibility(upload.status in (APPROVED, COMPLETED))
        if upload.status != STAGED:
            self.dry_run.clear()
        self._show_progress()

    def _show_progress(self) -> None:
        upload = self.upload
        self.progress_bar.set_value(min(1.0, upload.progress))
        if upload.status == VALIDATING:
            self.progress_title.text = "Validating in the background"
            self.progress_bar.set_value(min(1.0, upload.progress) if upload.progress_total else 0)
            of = f" of about {upload.progress_total:,}" if upload.progress_total else ""
            self.progress_text.text = f"validating… {upload.progress_done:,}{of} rows. This goes on if you close the page."
            return
        tally = f"issued {upload.issued:,}, waiting for approval {upload.pending:,}, refused or failed {upload.rejected:,}"
        self.progress_title.text = "Issued" if upload.status == COMPLETED else "Issuing in the background"
        if upload.status == COMPLETED:
            self.progress_text.text = f"Done: {upload.progress_done:,} of {upload.progress_total:,} rows decided · {tally}."
        else:
            self.progress_text.text = (
                f"{upload.progress_done:,} of {upload.progress_total:,} rows decided · {tally}. "
                "This goes on if you close the page."
            )

    # ------------------------------------------------------------ review actions

    async def download_report(self) -> None:
        report = await perform(lambda actor: review.error_report_csv(actor, self.upload.id))
        if report is None:
            return
        filename = f"{file_stem(self.upload.file_name)}-errors.csv"
        # The BOM tells spreadsheet programs the file is UTF-8 (names with accents stay intact).
        ui.download.content(report.encode("utf-8-sig"), filename, "text/csv")
        ui.notify(f"Downloaded {filename}: every bad row with its line and reason.", type="positive")

    async def run_dry(self) -> None:
        priced = await perform(lambda actor: pricing.price_upload(actor, self.upload.id))
        if priced is None:
            return
        self._show_dry_run(priced)
        refused = sum(priced.rejected_by_code.values())
        ui.notify(
            f"Dry run: {priced.would_issue + priced.would_pend:,} rows would go through"
            + (f", {refused:,} would be refused." if refused else "."),
            type="info",
        )

    def _show_dry_run(self, priced: UploadPricing) -> None:
        currency = self.currency
        refused = sum(priced.rejected_by_code.values())
        self.dry_run.clear()
        with self.dry_run, ui.card().classes("mb-card q-pa-md w-full gap-3"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("calculate", color="primary")
                ui.label("Dry run: approving now would…").classes("text-subtitle1 text-weight-medium")
            with ui.element("div").classes("mb-tallies"):
                for label, value, marker in (
                    ("Total value", amount(priced.total_value, currency), "dry-total"),
                    (
                        "Budget left now",
                        "no limit" if priced.budget_left_before is None else amount(priced.budget_left_before, currency),
                        "dry-budget-before",
                    ),
                    (
                        "Budget left after",
                        "no limit" if priced.budget_left_after is None else amount(priced.budget_left_after, currency),
                        "dry-budget-after",
                    ),
                    ("Issue", f"{priced.would_issue:,}", "dry-issue"),
                    ("Wait for approval", f"{priced.would_pend:,}", "dry-pend"),
                    ("Be refused", f"{refused:,}", "dry-refused"),
                ):
                    with ui.column().classes("gap-0").mark(marker):
                        ui.label(label).classes("mb-muted text-caption")
                        ui.label(value).classes("text-h6 text-weight-bold").mark(f"{marker}-value")
            chart = budget_chart(priced, currency)
            if chart is not None:
                ui.echart(chart).classes("w-full").style("height: 90px").mark("dry-run-chart")
            if priced.problem_rows:
                ui.label("Rows that would hit a cap, be ineligible or otherwise be refused:").classes("text-body2")
                ui.table(
                    columns=PRICED_COLUMNS,
                    rows=[
                        {
                            "line": row.line,
                            "external_id": row.external_id,
                            "value": amount(row.value, currency),
                            "code": refusal_words(row.outcome),
                            "message": sentence(row.message),
                        }
                        for row in priced.problem_rows
                    ],
                    row_key="line",
                    pagination=10,
                ).classes("w-full mb-table").props("flat dense").mark("dry-run-problems")
            else:
                ui.label("Every valid row would go through.").classes("text-body2 text-positive")

    async def discard(self) -> None:
        """The checker's rejection or the uploader's withdrawal: either way nothing is issued."""
        own = self.upload.uploaded_by == self.page.actor.id
        verb, done = ("Withdraw", "Withdrew") if own else ("Reject", "Rejected")
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[480px] gap-3").mark("discard-dialog"):
            ui.label(f"{verb} {self.upload.file_name}?").classes("text-h6")
            ui.label("Nothing is issued from it, and its rows no longer count as duplicates for later uploads.").classes(
                "mb-muted"
            )
            reason = ui.input("Why").props("outlined").classes("w-full").mark("discard-reason")

            async def send() -> None:
                discarded = await perform(
                    lambda actor: approval_service.discard_upload(actor, self.upload.id, reason.value or ""),
                    fields={"reason": reason},
                    done=f"{done} {self.upload.file_name}: nothing was issued.",
                )
                if discarded is not None:
                    dialog.submit(True)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button(verb, on_click=send).props("unelevated no-caps color=negative").mark("send-discard")
        if await ask(dialog):
            await self.page.refresh()

    # ------------------------------------------------------------ approval and issuance

    async def approve(self) -> None:
        upload = self.upload
        if not await confirm(
            f"Approve {upload.file_name}?",
            f"{upload.rows_valid:,} valid rows are issued under {self.page.campaign.name}, each within the campaign's "
            f"limits at that moment; {upload.rows_invalid:,} invalid rows are left out. Run the dry run first to see "
            "what the budget allows.",
            confirm_label="Approve and issue",
        ):
            return
        approved = await perform(
            lambda actor: approval_service.approve_upload(actor, upload.id),
            done=lambda u: f"Approved {u.file_name}: issuing {u.progress_total:,} rows in the background… see progress below.",
        )
        if approved is None:
            return
        await self.page.refresh()
        self.timer.activate()

    async def poll(self) -> None:
        """The worker's progress, as recorded in the database."""
        self.page.upload = await review.get_upload(self.page.actor, self.upload.id)
        self._show_progress()
        upload = self.upload
        if upload.status not in (VALIDATING, APPROVED):
            self.timer.deactivate()
            await self.page.refresh()
            if upload.status in (APPROVED, COMPLETED):
                await self.outcomes.reload()
            if upload.status == STAGED:
                ui.notify(
                    f"Checked {upload.file_name}: {upload.rows_total:,} rows, {upload.rows_valid:,} valid, "
                    f"{upload.rows_invalid:,} to fix. Nothing is issued until a second admin approves.",
                    type="positive",
                    multi_line=True,
                )
            if upload.status == COMPLETED:
                ui.notify(
                    f"Issued {upload.file_name}: issued {upload.issued:,}, waiting for approval {upload.pending:,}, "
                    f"refused or failed {upload.rejected:,}.",
                    type="positive",
                    multi_line=True,
                )

    async def fetch_outcomes(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await review.upload_rows(actor, self.upload.id, valid=True, offset=request.offset, limit=request.limit)
        return [self._outcome_row(row) for row in page.rows], page.total

    def _outcome_row(self, row: UploadRowView) -> dict:
        label, colour = OUTCOMES.get(row.outcome, ("Not issued yet", "grey-6"))
        value = row.points if row.points is not None else row.denomination
        return {
            "line": row.line,
            "external_id": row.external_id,
            "value": amount(value, self.currency),
            "outcome": label,
            "outcome_colour": colour,
            "message": sentence(row.outcome_message) if row.outcome_message else EMPTY,
        }
