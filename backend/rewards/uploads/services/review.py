"""Reviewing a staged upload: its counts, its rows (the bad ones first of all, each with line number
and reasons), inline fixes, and the error report to download.

A fix replaces some cells of one row and validates the row again with the same rules as staging
(``validation.py``), against the other valid rows of the upload and earlier uploads of the campaign
for duplicates; the row and the upload's counts change together, audited with the cells and
problems before and after. Only a staged upload is fixed (UPLOAD_NOT_STAGED); UNKNOWN_COLUMN for a
cell the upload has no column for, CELL_TOO_LONG past the parsing bound.

The error report is CSV through ``backend.core.csv_export``: a cell that a spreadsheet would run as
a formula (``=HYPERLINK(…)``) is written as text.
"""

from __future__ import annotations

import uuid

from backend.campaigns.services.campaigns import load_campaign
from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.csv_export import csv_text
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError, NotFound
from backend.rewards.uploads.services.approval import load_upload
from backend.rewards.uploads.services.columns import REPORT_COLUMNS
from backend.rewards.uploads.services.parsing import ParsedRow, UploadLimits
from backend.rewards.uploads.services.possible_duplicates import flag_possible_duplicates
from backend.rewards.uploads.services.staging import duplicate_of_upload, earlier_duplicates
from backend.rewards.uploads.services.validation import RowValidator, campaign_offers, error_dicts
from backend.rewards.uploads.tables import RewardUpload, RewardUploadRow
from backend.rewards.uploads.views import STAGED, UPLOAD_STATUSES, Page, UploadRowView, UploadView, upload_row_view, upload_view

MAX_PAGE = 500
_SAME_IN_FILE = """SELECT line FROM reward_upload_rows WHERE upload = $1 AND dedupe_key = $2 AND valid AND line <> $3
ORDER BY line LIMIT 1"""


async def get_upload(actor: Actor, upload_id: uuid.UUID) -> UploadView:
    """The upload with its counts and issuance progress (what the console polls)."""
    actor.require(Permission.REWARDS_READ)
    return await load_upload(upload_id)


async def upload_rows(actor: Actor, upload_id: uuid.UUID, *, valid: bool | None = None, offset: int = 0, limit: int = 50) -> Page:
    """The upload's rows in line order, paged in the database; ``valid=False``: only the bad ones."""
    actor.require(Permission.REWARDS_READ)
    await load_upload(upload_id)
    terms = [RewardUploadRow.upload == upload_id] + ([RewardUploadRow.valid == valid] if valid is not None else [])
    rows = (
        await RewardUploadRow.select()
        .where(*terms)
        .order_by(RewardUploadRow.line)
        .offset(max(0, offset))
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    return Page(rows=[upload_row_view(row) for row in rows], total=await RewardUploadRow.count().where(*terms))


async def invalid_rows(actor: Actor, upload_id: uuid.UUID, offset: int = 0, limit: int = 50) -> Page:
    """Every bad row with its line number and reasons, a page at a time."""
    return await upload_rows(actor, upload_id, valid=False, offset=offset, limit=limit)


async def _load_row(upload_id: uuid.UUID, line: int) -> dict:
    row = await RewardUploadRow.select().where(RewardUploadRow.upload == upload_id, RewardUploadRow.line == line).first()
    if row is None:
        raise NotFound("upload row", f"line {line}", field="line")
    return row


async def fix_row(actor: Actor, upload_id: uuid.UUID, line: int, changes: dict[str, str]) -> UploadRowView:
    """Replace cells of the row on ``line`` (column → new text) and validate it again. With no
    changes, the row is simply validated again (after another row's fix, say)."""
    actor.require(Permission.REWARDS_WRITE)
    limits = UploadLimits()
    async with write_transaction():
        upload = await load_upload(upload_id)
        if upload.status != STAGED:
            raise DomainError.single(
                "UPLOAD_NOT_STAGED", f"'{upload.file_name}' is {upload.status}: its rows can no longer be changed"
            )
        before = upload_row_view(await _load_row(upload_id, line))
        unknown = [name for name in changes if name not in upload.columns]
        if unknown:
            raise DomainError.single(
                "UNKNOWN_COLUMN",
                f"the upload has no column {', '.join(unknown)} (its columns: {', '.join(upload.columns)})",
                field=unknown[0],
            )
        too_long = [name for name, value in changes.items() if len(value or "") > limits.max_cell_chars]
        if too_long:
            raise DomainError.single(
                "CELL_TOO_LONG", f"{too_long[0]} is longer than {limits.max_cell_chars} characters", field=too_long[0]
            )
        cells = {name: before.cells.get(name, "") for name in upload.columns} | {
            name: value or "" for name, value in changes.items()
        }
        campaign = await load_campaign(upload.campaign_id)
        validator = RowValidator(campaign, await campaign_offers(campaign))
        parsed = ParsedRow(line=line, cells=cells)
        await validator.prepare([parsed])
        staged = validator.validate(parsed)
        if staged.valid:
            same = await sql.fetchrow(_SAME_IN_FILE, upload_id, staged.dedupe_key, line)
            if same is not None:
                what = "points" if staged.points is not None else "offer and amount"
                staged.errors.append(FieldError(None, "DUPLICATE_IN_FILE", f"same recipient, {what} as line {same['line']}"))
            else:
                earlier = await earlier_duplicates(upload.campaign_id, upload_id, [staged.dedupe_key])
                if staged.dedupe_key in earlier:
                    staged.errors.append(duplicate_of_upload(*earlier[staged.dedupe_key]))
        await RewardUploadRow.update(
            {
                RewardUploadRow.cells: cells,
                RewardUploadRow.external_id: staged.external_id,
                RewardUploadRow.recipient_id: staged.recipient_id,
                RewardUploadRow.new_recipient: staged.new_recipient,
                RewardUploadRow.offer_id: staged.offer_id,
                RewardUploadRow.denomination: staged.denomination,
                RewardUploadRow.points: staged.points,
                RewardUploadRow.channel: staged.channel,
                RewardUploadRow.dedupe_key: staged.dedupe_key,
                RewardUploadRow.valid: staged.valid,
                RewardUploadRow.errors: error_dicts(staged.errors),
            }
        ).where(RewardUploadRow.upload == upload_id, RewardUploadRow.line == line)
        await flag_possible_duplicates(upload_id, [before.external_id, staged.external_id], campaign.currency)
        valid = await RewardUploadRow.count().where(RewardUploadRow.upload == upload_id, RewardUploadRow.valid == True)  # noqa: E712 (a Piccolo column comparison)
        await RewardUpload.update(
            {
                RewardUpload.rows_valid: valid,
                RewardUpload.rows_invalid: upload.rows_total - valid,
                RewardUpload.updated_at: utcnow(),
            }
        ).where(RewardUpload.id == upload_id)
        after = upload_row_view(await _load_row(upload_id, line))
        await audit.record(
            actor,
            "reward_upload.row_fixed",
            "reward_upload",
            upload_id,
            before={"line": line, "cells": before.cells, "valid": before.valid, "problems": [p.code for p in before.problems]},
            after={"line": line, "cells": after.cells, "valid": after.valid, "problems": [p.code for p in after.problems]},
        )
        return after


async def error_report_csv(actor: Actor, upload_id: uuid.UUID) -> str:
    """The bad rows as CSV, one line per row: line, column, code, reason (several problems of a row
    joined by "; "), then the row's cells as uploaded (formula-looking cells escaped). Corrected, the
    file is uploaded again as it is: the report's own columns are read past (``columns.REPORT_COLUMNS``),
    and one line per row means no row comes back twice."""
    actor.require(Permission.REWARDS_READ)
    upload = await load_upload(upload_id)
    report, offset = [], 0
    while True:
        page = await upload_rows(actor, upload_id, valid=False, offset=offset, limit=MAX_PAGE)
        for row in page.rows:
            report.append(
                (
                    row.line,
                    "; ".join(problem.field or "" for problem in row.problems),
                    "; ".join(problem.code for problem in row.problems),
                    "; ".join(problem.message for problem in row.problems),
                    *(row.cells.get(name, "") for name in upload.columns),
                )
            )
        offset += MAX_PAGE
        if offset >= page.total:
            return csv_text((*REPORT_COLUMNS, *upload.columns), report)


async def list_uploads(
    actor: Actor, campaign_id: uuid.UUID | None = None, status: str | None = None, offset: int = 0, limit: int = 50
) -> Page:
    """Bulk uploads, newest first, optionally of one campaign and in one status."""
    actor.require(Permission.REWARDS_READ)
    if status is not None and status not in UPLOAD_STATUSES:
        raise DomainError.single("INVALID_STATUS", f"an upload is {', '.join(UPLOAD_STATUSES)}", field="status")
    query, counting = RewardUpload.select(), RewardUpload.count()
    for term in ([RewardUpload.campaign_id == campaign_id] if campaign_id else []) + (
        [RewardUpload.status == status] if status else []
    ):
        query, counting = query.where(term), counting.where(term)
    rows = await query.order_by(RewardUpload.id, ascending=False).offset(max(0, offset)).limit(max(1, min(limit, 500)))
    return Page(rows=[upload_view(row) for row in rows], total=await counting)


_FLAGGED = """SELECT * FROM reward_upload_rows WHERE upload = $1 AND valid AND json_array_length(warnings) > 0 AND line > $2
ORDER BY line LIMIT $3 OFFSET $4"""


async def flagged_rows(
    actor: Actor, upload_id: uuid.UUID, *, after_line: int | None = None, offset: int = 0, limit: int = 50
) -> list[UploadRowView]:
    """Valid rows with a warning (possible duplicates) in line order, after ``after_line`` (the API's
    keyset pages) or from ``offset`` (the console's); the upload's ``rows_flagged`` counts them. They
    are issued as they are unless fixed: the review shows them so an admin decides."""
    actor.require(Permission.REWARDS_READ)
    rows = await sql.fetch(
        _FLAGGED, upload_id, -1 if after_line is None else after_line, max(1, min(limit, MAX_PAGE)), max(0, offset)
    )
    return [upload_row_view(row) for row in rows]


async def invalid_rows_after(actor: Actor, upload_id: uuid.UUID, after_line: int | None, limit: int) -> list[UploadRowView]:
    """Bad rows in line order after ``after_line``: a keyset page for the API (cost independent of the page)."""
    actor.require(Permission.REWARDS_READ)
    terms = [RewardUploadRow.upload == upload_id, RewardUploadRow.valid == False]  # noqa: E712 (a column comparison)
    if after_line is not None:
        terms.append(RewardUploadRow.line > after_line)
    rows = await RewardUploadRow.select().where(*terms).order_by(RewardUploadRow.line).limit(max(1, min(limit, MAX_PAGE)))
    return [upload_row_view(row) for row in rows]
