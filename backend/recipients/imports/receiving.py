"""Receiving an import (the console): the file and its mapping stored, the check left to the
worker. And reading the stored file back as rows of column → text, CSV or XLSX (the first sheet)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from backend.core import audit, outbox
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.csv_import import SizeBoundedReader, cell_text
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.recipients.hr_sync import MAX_COLUMNS, MAX_CSV_BYTES, SourceSystem, mapping_for, rows_from_csv
from backend.recipients.imports.tables import RecipientImport
from backend.recipients.imports.views import CHECKING, ImportView, import_view

IMPORT_RECEIVED = "recipient_import.received"  # outbox topic: the worker checks the file
CSV, XLSX = "csv", "xlsx"
_ZIP_MAGIC = b"PK\x03\x04"


async def load_import(import_id: uuid.UUID) -> ImportView:
    row = await RecipientImport.select(*_VIEW_COLUMNS).where(RecipientImport.id == import_id).first()
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such import", field="import_id")
    return import_view(row)


async def load_content(import_id: uuid.UUID) -> bytes:
    row = await RecipientImport.select(RecipientImport.content).where(RecipientImport.id == import_id).first()
    return bytes(row["content"])


_VIEW_COLUMNS = [column for column in RecipientImport._meta.columns if column._meta.name != "content"]


async def receive_import(
    actor: Actor, source: SourceSystem | str, stream: BinaryIO, file_name: str, mapping: Mapping[str, str] | None = None
) -> ImportView:
    """Store the file with its preset or custom mapping (checked now: INVALID_SOURCE,
    CUSTOM_MAPPING_INVALID) and leave the rows to the worker; FILE_TOO_LARGE past the sync's bound."""
    actor.require(Permission.RECIPIENTS_WRITE)
    mapping_for(source, mapping)  # a bad mapping is refused before the file is stored
    source = SourceSystem(source).value
    content = SizeBoundedReader(stream, MAX_CSV_BYTES).readall()
    if not content.strip():
        raise DomainError.single("EMPTY_FILE", "the file is empty: expected a header line of column names", field="file")
    file_format = XLSX if content.startswith(_ZIP_MAGIC) else CSV
    import_id, now = new_id(), utcnow()
    file_name = (file_name or "recipients.csv").strip()[:255] or "recipients.csv"
    expected = max(0, content.count(b"\n") + (not content.endswith(b"\n")) - 1) if file_format == CSV else 0
    async with write_transaction():
        await RecipientImport.insert(
            RecipientImport(
                id=import_id,
                file_name=file_name,
                file_format=file_format,
                content=content,
                source=source,
                mapping=dict(mapping or {}),
                status=CHECKING,
                progress_total=expected,
                requested_by=actor.id,
                requested_by_label=actor.label,
                created_at=now,
                updated_at=now,
            )
        )
        await audit.record(
            actor,
            "recipient_import.received",
            "recipient_import",
            import_id,
            after={"file_name": file_name, "source": source, "size_bytes": len(content)},
        )
        event_id = await outbox.add(IMPORT_RECEIVED, {"import_id": str(import_id)})
    await outbox.ring([event_id])
    return await load_import(import_id)


# ---------------------------------------------------------------- reading the file back


def file_rows(content: bytes, file_format: str) -> Iterator[dict[str, str]]:
    """The stored file's rows (blank ones skipped). A file-level problem raises a DomainError on
    the ``file`` field where it is met."""
    if file_format == XLSX:
        return _xlsx_rows(content)
    return rows_from_csv(io.BytesIO(content))


def _xlsx_rows(content: bytes) -> Iterator[dict[str, str]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = iter(workbook.get_sheet_by_index(0).iter_rows())
        header = [cell_text(cell).strip() for cell in next(rows, None) or ()]
    except (CalamineError, ValueError, IndexError) as error:
        raise DomainError.single("INVALID_XLSX", f"the file is not a readable XLSX workbook ({error})", field="file") from None
    if not any(header):
        raise DomainError.single("EMPTY_FILE", "the first row of the first sheet is empty: expected column names", field="file")
    if len(header) > MAX_COLUMNS:
        raise DomainError.single("TOO_MANY_COLUMNS", f"at most {MAX_COLUMNS} columns", field="file")
    for cells in rows:
        texts = [cell_text(cell) for cell in cells]
        if any(text.strip() for text in texts):
            yield dict(zip(header, texts))
