"""Applying a reviewed import: asked for in the console (``apply_import``), done by the worker
(``run_apply``): the rows the review would create or update are synced with the HR sync, a chunk
of the file per step with the import's progress. A step cut short is done again whole: the sync
is an upsert, so a row already written is then unchanged (counted as neither created nor updated)."""

from __future__ import annotations

import itertools
import time
import uuid

from backend.core import audit, outbox
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.recipients.hr_sync import FieldMapping, SyncReport, sync_recipients
from backend.recipients.imports.checking import import_mapping
from backend.recipients.imports.receiving import file_rows, load_content, load_import
from backend.recipients.imports.tables import RecipientImport, RecipientImportRow
from backend.recipients.imports.views import APPLIED, APPLYING, CREATE, DISCARDED, REJECTED, REVIEWED, UPDATE, ImportView

IMPORT_APPLYING = "recipient_import.applying"  # outbox topic: the worker writes the reviewed rows
CHUNK = 2000


async def _decide(actor: Actor, import_id: uuid.UUID, status: str, action: str) -> ImportView:
    actor.require(Permission.RECIPIENTS_WRITE)
    async with write_transaction():
        changed = (
            await RecipientImport.update(
                {
                    RecipientImport.status: status,
                    RecipientImport.progress_done: 0,
                    RecipientImport.progress_total: RecipientImport.rows_total,
                    RecipientImport.updated_at: utcnow(),
                }
            )
            .where((RecipientImport.id == import_id) & (RecipientImport.status == REVIEWED))
            .returning(RecipientImport.id)
        )
        if not changed:
            record = await load_import(import_id)
            raise DomainError.single(
                "NOT_REVIEWED", f"this import is {record.status}: only a reviewed import can be {status}", field="import_id"
            )
        await audit.record(actor, action, "recipient_import", import_id, after={"status": status})
        event_id = await outbox.add(IMPORT_APPLYING, {"import_id": str(import_id)}) if status == APPLYING else None
    if event_id:
        await outbox.ring([event_id])
    return await load_import(import_id)


async def apply_import(actor: Actor, import_id: uuid.UUID) -> ImportView:
    """Write the reviewed rows (in the worker); NOT_REVIEWED for an import still checking, refused,
    discarded or already applied."""
    record = await load_import(import_id)
    if record.status == REVIEWED and not record.to_apply:
        raise DomainError.single("NOTHING_TO_APPLY", "no row of this file creates or changes a recipient", field="import_id")
    return await _decide(actor, import_id, APPLYING, "recipient_import.applied")


async def discard_import(actor: Actor, import_id: uuid.UUID) -> ImportView:
    return await _decide(actor, import_id, DISCARDED, "recipient_import.discarded")


async def _to_write(import_id: uuid.UUID, first: int, last: int) -> set[int]:
    rows = await RecipientImportRow.select(RecipientImportRow.row_number).where(
        (RecipientImportRow.import_id == import_id)
        & (RecipientImportRow.row_number >= first)
        & (RecipientImportRow.row_number <= last)
        & RecipientImportRow.action.is_in([CREATE, UPDATE])
    )
    return {row["row_number"] for row in rows}


async def _sync_chunk(actor: Actor, record: ImportView, mapping: FieldMapping, chunk: list[tuple[int, dict]]) -> None:
    wanted = await _to_write(record.id, chunk[0][0], chunk[-1][0])
    numbers = [number for number, _ in chunk if number in wanted]
    report = (
        await sync_recipients(actor, mapping, [row for number, row in chunk if number in wanted], record.source)
        if numbers
        else SyncReport(0, 0, 0, (), record.source, 0)
    )
    async with write_transaction():
        for rejection in report.rejected:  # valid at review, not any more (another change came first)
            await RecipientImportRow.update(
                {RecipientImportRow.action: REJECTED, RecipientImportRow.reason: f"when applied: {rejection.reason}"}
            ).where(
                (RecipientImportRow.import_id == record.id) & (RecipientImportRow.row_number == numbers[rejection.row_number - 1])
            )
        await RecipientImport.update(
            {
                RecipientImport.progress_done: chunk[-1][0],
                RecipientImport.created: RecipientImport.created + report.created,
                RecipientImport.updated: RecipientImport.updated + report.updated,
                RecipientImport.rejected_on_apply: RecipientImport.rejected_on_apply
                + len({rejection.row_number for rejection in report.rejected}),
                RecipientImport.updated_at: utcnow(),
            }
        ).where((RecipientImport.id == record.id) & (RecipientImport.status == APPLYING))


async def run_apply(actor: Actor, import_id: uuid.UUID, *, time_budget: float | None = None) -> ImportView:
    """Sync the next chunks of an ``applying`` import (all of them without a budget); returns it as
    it stands, ``applied`` once the last chunk is written."""
    actor.require(Permission.RECIPIENTS_WRITE)
    record = await load_import(import_id)
    if record.status != APPLYING:
        return record
    started, mapping = time.monotonic(), import_mapping(record)
    rows = file_rows(await load_content(import_id), record.file_format)
    numbered = enumerate(itertools.islice(rows, record.progress_done, None), start=record.progress_done + 1)
    while chunk := list(itertools.islice(numbered, CHUNK)):
        await _sync_chunk(actor, record, mapping, chunk)
        if time_budget is not None and time.monotonic() - started > time_budget:
            return await load_import(import_id)
    async with write_transaction():
        await RecipientImport.update(
            {
                RecipientImport.status: APPLIED,
                RecipientImport.progress_done: RecipientImport.rows_total,
                RecipientImport.updated_at: utcnow(),
            }
        ).where((RecipientImport.id == import_id) & (RecipientImport.status == APPLYING))
    return await load_import(import_id)
