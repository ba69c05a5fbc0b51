"""Contact corrections in bulk: a CSV of recipient external id + email / phone / WhatsApp number.

All or nothing, not reviewed like uploads: a corrections file is small (bounded below), makes no
money-like effect, and a half-applied one would leave the admin to work out which lines went and
which deliveries were resent. So every row is validated first (the same rules as any recipient
record, each problem with its line number and field); any problem and nothing is changed — fix the
file and send it again (a line already applied is unchanged the second time). Once every row is
good, the corrections are saved in one transaction through the recipients domain's service, then
those recipients' failed deliveries are resent (in chunks, each its own transaction).

The file is streamed (stdlib ``csv`` over a decoding reader bounded in bytes) and bounded in rows.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from typing import BinaryIO

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.csv_import import SizeBoundedReader, delimiter_of
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.text import shown
from backend.deliveries.services.resending import MAX_SELECTION, ResendReport, resend_in_chunks
from backend.recipients import contact_corrections
from backend.recipients.services.recipients import recipient_rows_by_external_id

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
_ID_COLUMNS = ("external_id", "recipient_external_id")
_CONTACT_COLUMNS = {"email": "email", "phone": "phone", "whatsapp": "whatsapp", "whatsapp_number": "whatsapp"}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    code: str
    message: str


@dataclass(frozen=True)
class CorrectionReport:
    applied: bool  # False: some row is wrong (``errors``) and nothing changed
    rows: int
    corrected: int = 0  # contact points that changed
    unchanged: int = 0  # already so
    errors: list[RowError] = field(default_factory=list)
    resend: ResendReport = field(default_factory=ResendReport)


@dataclass(frozen=True)
class _Row:
    line: int
    external_id: str
    contacts: dict[str, str]  # recipient field → cell as written


def _file_error(code: str, message: str) -> DomainError:
    return DomainError.single(code, message, field="file")


def _read(source: BinaryIO) -> list[_Row]:
    text = io.TextIOWrapper(
        io.BufferedReader(SizeBoundedReader(source, MAX_FILE_BYTES)), encoding="utf-8-sig", errors="strict", newline=""
    )
    try:
        header_line = text.readline()
        delimiter = delimiter_of(header_line)
        header = [name.strip().lower().replace(" ", "_") for name in next(csv.reader([header_line], delimiter=delimiter), [])]
        id_column = next((header.index(name) for name in _ID_COLUMNS if name in header), None)
        if id_column is None:
            raise _file_error("MISSING_COLUMN", "the header needs an external_id column")
        unknown = [name for index, name in enumerate(header) if index != id_column and name not in _CONTACT_COLUMNS]
        if unknown:
            raise _file_error(
                "UNKNOWN_COLUMN", f"unknown columns {', '.join(unknown)}: expected external_id and email, phone, whatsapp"
            )
        if len(header) < 2:
            raise _file_error("MISSING_COLUMN", "the header needs at least one of email, phone, whatsapp")
        rows: list[_Row] = []
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        while True:
            line = reader.line_num + 2  # where the next record starts (the header is line 1)
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise _file_error("MALFORMED_CSV", f"line {line}: {error}") from None
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise _file_error("TOO_MANY_ROWS", f"at most {MAX_ROWS:,} corrections per file: split it")
            cells += [""] * (len(header) - len(cells))
            contacts = {
                _CONTACT_COLUMNS[name]: cells[index].strip()
                for index, name in enumerate(header)
                if index != id_column and cells[index].strip()
            }
            rows.append(_Row(line, cells[id_column].strip(), contacts))
        return rows
    except UnicodeDecodeError:
        raise _file_error("NOT_UTF8", "the file is not UTF-8 text: save it as CSV UTF-8") from None
    finally:
        text.detach()


def _check(rows: list[_Row], known: dict) -> list[RowError]:
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in rows:
        if not row.external_id:
            errors.append(RowError(row.line, "external_id", "REQUIRED", "the recipient's external id is empty"))
            continue
        if row.external_id in seen:
            errors.append(
                RowError(
                    row.line, "external_id", "DUPLICATE", f"{row.external_id} is corrected on line {seen[row.external_id]} too"
                )
            )
            continue
        seen[row.external_id] = row.line
        recipient = known.get(row.external_id)
        if recipient is None:
            errors.append(
                RowError(row.line, "external_id", "NOT_FOUND", f"no recipient has the external id {shown(row.external_id)}")
            )
            continue
        if not row.contacts:
            errors.append(RowError(row.line, "email", "NOTHING_TO_CORRECT", "the line has no email, phone or whatsapp"))
        for name, value in row.contacts.items():
            try:
                contact_corrections.normalised_contact(name, value, recipient["country"])
            except DomainError as error:
                errors.extend(RowError(row.line, fault.field or name, fault.code, fault.message) for fault in error.errors)
    return errors


async def correct_contacts_from_csv(actor: Actor, source: BinaryIO) -> CorrectionReport:
    """Apply a CSV of contact corrections (all or nothing: see the module docstring), then resend the
    failed deliveries of the recipients it corrected. File-level problems raise (field ``file``);
    row problems come back in the report with their line numbers, and nothing is changed."""
    actor.require(Permission.DELIVERIES_WRITE)
    rows = _read(source)
    if not rows:
        raise _file_error("EMPTY_FILE", "the file has no corrections under its header")
    known = await recipient_rows_by_external_id([row.external_id for row in rows if row.external_id])
    errors = _check(rows, known)
    if errors:
        return CorrectionReport(applied=False, rows=len(rows), errors=errors)
    corrected = unchanged = 0
    recipient_ids: list[uuid.UUID] = []
    async with write_transaction():
        for row in rows:
            recipient_id = known[row.external_id]["id"]
            recipient_ids.append(recipient_id)
            for name, value in row.contacts.items():
                done = await contact_corrections.correct_contact(actor, recipient_id, name, value)
                corrected, unchanged = corrected + done.changed, unchanged + (not done.changed)
    return CorrectionReport(
        applied=True,
        rows=len(rows),
        corrected=corrected,
        unchanged=unchanged,
        resend=await _resend_failed_of(actor, recipient_ids),
    )


async def _resend_failed_of(actor: Actor, recipient_ids: list[uuid.UUID]) -> ResendReport:
    failed: list[uuid.UUID] = []
    for start in range(0, len(recipient_ids), MAX_SELECTION):
        chunk = recipient_ids[start : start + MAX_SELECTION]
        wanted = sql.Conditions()
        wanted.add_clause("status = 'failed'")
        wanted.in_list("recipient_id", chunk)
        rows = await sql.fetch(wanted.statement("SELECT id FROM deliveries", order_by="id"), *wanted.args)
        failed.extend(row["id"] for row in rows)
    return await resend_in_chunks(actor, failed)
