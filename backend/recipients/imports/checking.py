"""Checking an import (the worker): every row decided — create, update (which fields), unchanged or
rejected (why) — exactly as the sync would decide it now, writing no recipient. A batch of rows
per transaction with the import's progress; past the time budget the run stops and the next one
resumes after the last row decided (``progress_done``), so a run done twice decides each row once."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterable

from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.recipients.hr_sync import MAX_ROWS, FieldMapping, RejectedRecipientRow, mapping_for
from backend.recipients.hr_sync.mapping import MappedRow, merged_input
from backend.recipients.hr_sync.sync import _columns, screen_row
from backend.recipients.imports.receiving import file_rows, load_content, load_import
from backend.recipients.imports.tables import RecipientImport, RecipientImportRow
from backend.recipients.imports.views import CHECKING, CREATE, REFUSED, REJECTED, REVIEWED, UNCHANGED, UPDATE, ImportView
from backend.recipients.services import audit_recipient, recipient_view, validate_recipient
from backend.recipients.tables import Recipient

BATCH = 500
FIELD_WORDS = {
    "full_name": "name",
    "email": "email",
    "phone": "phone",
    "whatsapp": "WhatsApp",
    "country": "country",
    "preferred_channel": "preferred channel",
    "source_system": "source",
}


def import_mapping(record: ImportView) -> FieldMapping:
    return mapping_for(record.source, record.mapping or None)


def _rejection(number: int, external_id: str | None, name: str, reasons: Iterable[RejectedRecipientRow]) -> RecipientImportRow:
    reason = "; ".join(f"{r.field.replace('_', ' ')}: {r.reason}" if r.field else r.reason for r in reasons)
    return RecipientImportRow(
        row_number=number, external_id=(external_id or "")[:100], full_name=name[:200], action=REJECTED, reason=reason
    )


def changed_fields(before: dict, after: dict) -> str:
    """The fields an update changes, in words ("email, phone, grade")."""
    changed = [FIELD_WORDS.get(name, name) for name in before if name != "hr_attributes" and before[name] != after.get(name)]
    hr_before, hr_after = before.get("hr_attributes") or {}, after.get("hr_attributes") or {}
    changed += [
        key.replace("_", " ") for key in sorted(set(hr_before) | set(hr_after)) if hr_before.get(key) != hr_after.get(key)
    ]
    return ", ".join(changed)


async def _decide(batch: list[MappedRow], mapping: FieldMapping, source: str) -> list[RecipientImportRow]:
    if not batch:
        return []
    ids = [row.fields["external_id"] for row in batch]
    existing = {row["external_id"]: row for row in await Recipient.select().where(Recipient.external_id.is_in(ids))}
    now = utcnow()
    decided = []
    for row in batch:
        external_id, stored = row.fields["external_id"], existing.get(row.fields["external_id"])
        name = row.fields.get("full_name", "")
        try:
            clean = validate_recipient(merged_input(row, mapping, stored, source))
        except DomainError as refusal:
            reasons = [RejectedRecipientRow(row.number, external_id, e.field, e.message) for e in refusal.errors]
            decided.append(_rejection(row.number, external_id, name, reasons))
            continue
        action, changes = CREATE, ""
        if stored is not None:
            values = _columns(clean)
            before = audit_recipient(recipient_view(stored))
            after = audit_recipient(
                recipient_view({**stored, **values, "hr_attributes": json.dumps(values["hr_attributes"]), "updated_at": now})
            )
            changes = changed_fields(before, after)
            action = UPDATE if after != before else UNCHANGED
        decided.append(
            RecipientImportRow(
                row_number=row.number, external_id=external_id, full_name=clean.full_name[:200], action=action, changes=changes
            )
        )
    return decided


async def _seen_so_far(import_id: uuid.UUID) -> dict[str, int]:
    """External id → first row number, of the rows a previous run decided (for duplicates)."""
    rows = await RecipientImportRow.select(RecipientImportRow.external_id, RecipientImportRow.row_number).where(
        (RecipientImportRow.import_id == import_id) & (RecipientImportRow.external_id != "")
    )
    seen: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["row_number"]):
        seen.setdefault(row["external_id"], row["row_number"])
    return seen


async def _record(import_id: uuid.UUID, decided: list[RecipientImportRow], rows_done: int) -> None:
    counts = {action: sum(1 for row in decided if row.action == action) for action in (CREATE, UPDATE, UNCHANGED, REJECTED)}
    async with write_transaction():
        for row in decided:
            row.import_id = import_id
        if decided:
            await RecipientImportRow.insert(*decided)
        await RecipientImport.update(
            {
                RecipientImport.progress_done: rows_done,
                RecipientImport.to_create: RecipientImport.to_create + counts[CREATE],
                RecipientImport.to_update: RecipientImport.to_update + counts[UPDATE],
                RecipientImport.unchanged: RecipientImport.unchanged + counts[UNCHANGED],
                RecipientImport.rejected: RecipientImport.rejected + counts[REJECTED],
                RecipientImport.updated_at: utcnow(),
            }
        ).where((RecipientImport.id == import_id) & (RecipientImport.status == CHECKING))


async def _finish(import_id: uuid.UUID, rows_total: int, refusal: DomainError | None = None) -> None:
    async with write_transaction():
        if refusal is not None:
            await RecipientImportRow.delete().where(RecipientImportRow.import_id == import_id)
        await RecipientImport.update(
            {
                RecipientImport.status: REFUSED if refusal else REVIEWED,
                RecipientImport.refusal: refusal.errors[0].message if refusal else "",
                RecipientImport.rows_total: rows_total,
                RecipientImport.progress_total: rows_total,
                RecipientImport.progress_done: rows_total,
                RecipientImport.updated_at: utcnow(),
            }
        ).where((RecipientImport.id == import_id) & (RecipientImport.status == CHECKING))


async def check_import(actor: Actor, import_id: uuid.UUID, *, time_budget: float | None = None) -> ImportView:
    """Decide the next rows of a ``checking`` import (all of them without a budget); returns it as it
    stands (still ``checking`` when the budget ran out first)."""
    actor.require(Permission.RECIPIENTS_WRITE)
    record = await load_import(import_id)
    if record.status != CHECKING:
        return record
    started, done = time.monotonic(), record.progress_done
    mapping, today = import_mapping(record), utcnow().date()
    seen = await _seen_so_far(import_id) if done else {}
    rows = file_rows(await load_content(import_id), record.file_format)
    try:
        numbered = enumerate(itertools.islice(rows, done, None), start=done + 1)
        while batch := list(itertools.islice(numbered, BATCH)):
            if batch[-1][0] > MAX_ROWS:
                raise DomainError.single("TOO_MANY_ROWS", f"an import takes at most {MAX_ROWS:,} rows: split it", field="file")
            decided, to_look_up = [], []
            for number, row in batch:
                screened = screen_row(number, row, mapping, today, seen)
                if isinstance(screened, MappedRow):
                    to_look_up.append(screened)
                else:
                    decided.append(_rejection(number, screened[0].external_id, "", screened))
            decided += await _decide(to_look_up, mapping, record.source)
            done = batch[-1][0]
            await _record(import_id, decided, done)
            if time_budget is not None and time.monotonic() - started > time_budget:
                return await load_import(import_id)
    except DomainError as refusal:
        await _finish(import_id, done, refusal)
        return await load_import(import_id)
    await _finish(import_id, done)
    return await load_import(import_id)
