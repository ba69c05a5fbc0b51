"""Voucher stock from a partner's CSV file (code, pin, amount, expiry), streamed.

The amount is in the offer's currency ("500" or "500.00"); minor units are taken under the column
``amount_minor`` (or ``denomination``, as older files name it): see ``backend.core.amount_columns``.

The file is read line by line and decoded here (UTF-8, with or without a BOM), so a byte that is
not UTF-8 is reported with its line; the stdlib ``csv`` reader parses the decoded lines, with
``,`` or ``;`` as the delimiter (taken from the header). Every bad row is reported with its line
number and reason; good rows are imported in one transaction, codes and pins sealed with
``backend.core.encryption`` (the row id as context) and de-duplicated by a keyed digest, within
the file and against the partner's whole stock (a unique index settles concurrent imports).

The uploaded bytes are not kept: they hold the codes in clear. The import keeps the file's name,
SHA-256, size and the rejection report.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from backend.catalog.services.offer_rows import load_offer
from backend.catalog.tables import VoucherCode, VoucherImport
from backend.catalog.views import AVAILABLE, RETIRED, OfferView, RejectedRow, VoucherImportReport, json_value
from backend.core import amount_columns, audit
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.csv_export import csv_text
from backend.core.csv_import import delimiter_of
from backend.core.db import write_transaction
from backend.core.encryption import secret_box
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.keyed_digest import keyed_digest
from backend.core.money import format_money
from backend.core.text import check_text

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LINE_BYTES = 4096
MAX_ROWS = 200_000
MAX_CODE, MAX_PIN = 128, 64
BATCH = 500
COLUMNS = ("code", "pin", *amount_columns.COLUMNS, "expiry")
REQUIRED_COLUMNS = ("code",)
DIGEST_PURPOSE = "voucher-code"
AMOUNT_COLUMN = "(amount column)"  # in a header's map: the name the file gives the amount (amount, amount_minor)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def code_digest(partner_id: uuid.UUID, code: str) -> str:
    """The keyed digest that makes a code unique within its partner's stock."""
    return keyed_digest(f"{partner_id}\x1f{code}", DIGEST_PURPOSE)


def _file_error(code: str, message: str) -> DomainError:
    return DomainError.single(code, message, field="file")


class _DecodedLines:
    """Lines of the upload, decoded, with size, digest and line-length limits enforced as they pass."""

    def __init__(self, source: BinaryIO):
        self.source = source
        self.size = 0
        self.sha256 = hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        for number in itertools.count(1):
            raw = self.source.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            self.size += len(raw)
            self.sha256.update(raw)
            if self.size > MAX_FILE_BYTES:
                raise _file_error("FILE_TOO_LARGE", f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            if len(raw) > MAX_LINE_BYTES:
                raise _file_error("LINE_TOO_LONG", f"line {number} is longer than {MAX_LINE_BYTES} bytes")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _file_error(
                    "INVALID_ENCODING",
                    f"line {number} is not UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1}): "
                    "save the file as UTF-8 and upload it again",
                ) from None
            yield text.removeprefix("\ufeff") if number == 1 else text


@dataclass
class _Row:
    line: int
    code: str
    pin: str | None
    denomination: int
    expires_on: date | None
    digest: str


@dataclass
class _Tally:
    rows_read: int = 0
    imported: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append(RejectedRow(line=line, reason=reason))


def _header(cells: list[str]) -> dict[str, int]:
    names = [cell.strip().lower().replace(" ", "_") for cell in cells]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if not any(name in names for name in amount_columns.COLUMNS):
        missing.append("amount")
    unknown = [name for name in names if name not in COLUMNS]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if missing or unknown or repeated:
        problems = [
            f"missing: {', '.join(missing)}" if missing else "",
            f"unknown: {', '.join(unknown)}" if unknown else "",
            f"repeated: {', '.join(repeated)}" if repeated else "",
        ]
        raise _file_error(
            "WRONG_HEADER",
            "line 1 must name the columns code, pin, amount, expiry (pin and expiry may be left out; amount in the "
            "currency, 500.00, or amount_minor in minor units); " + "; ".join(p for p in problems if p),
        )
    try:
        amount_column = amount_columns.amount_column(names)
    except DomainError as error:
        raise _file_error("WRONG_HEADER", error.errors[0].message) from None
    # The amount's column under the one name the rows read, whichever the file used.
    return {("amount" if name == amount_column else name): names.index(name) for name in names} | {AMOUNT_COLUMN: amount_column}


def _parse_row(cells: list[str], columns: dict[str, int], line: int, offer: OfferView, today: date) -> _Row | str:
    """The row, or the reason it is rejected."""
    width = len(columns) - 1  # AMOUNT_COLUMN is not a field
    if len(cells) != width:
        return f"expected {width} fields, found {len(cells)}"
    code = cells[columns["code"]].strip()
    pin = cells[columns["pin"]].strip() if "pin" in columns else ""
    amount = cells[columns["amount"]].strip()
    expiry = cells[columns["expiry"]].strip() if "expiry" in columns else ""
    if not code:
        return "code is empty"
    if len(code) > MAX_CODE or _CONTROL.search(code):
        return f"code is longer than {MAX_CODE} characters or holds control characters"
    if len(pin) > MAX_PIN or _CONTROL.search(pin):
        return f"pin is longer than {MAX_PIN} characters or holds control characters"
    try:
        minor = amount_columns.read_amount(amount, offer.currency, columns[AMOUNT_COLUMN])
    except DomainError as error:
        return error.errors[0].message
    if not offer.denominations.allows(minor):
        return (
            f"{format_money(minor, offer.currency)} is not a denomination of this offer "
            f"({offer.denominations.describe(offer.currency)})"
        )
    expires_on = None
    if expiry:
        try:
            expires_on = date.fromisoformat(expiry) if _ISO_DATE.match(expiry) else None
        except ValueError:
            expires_on = None
        if expires_on is None:
            return f"expiry '{expiry[:20]}' is not a date (YYYY-MM-DD)"
        if expires_on <= today:
            return f"the code expires on {expires_on.isoformat()}, today or earlier"
    return _Row(
        line=line,
        code=code,
        pin=pin or None,
        denomination=minor,
        expires_on=expires_on,
        digest=code_digest(offer.partner_id, code),
    )


async def _flush(batch: list[_Row], import_id: uuid.UUID | None, offer: OfferView, tally: _Tally) -> None:
    """Reject the codes already in stock; insert the rest (unless a dry run: ``import_id`` is None)."""
    if not batch:
        return
    existing = {
        row["code_digest"]
        for row in await VoucherCode.select(VoucherCode.code_digest).where(
            VoucherCode.code_digest.is_in([row.digest for row in batch])
        )
    }
    fresh = []
    for row in batch:
        if row.digest in existing:
            tally.reject(row.line, "the code is already in stock")
        else:
            fresh.append(row)
    if import_id is None or not fresh:
        tally.imported += len(fresh)
        return
    box, now, records = secret_box(), utcnow(), []
    for row in fresh:
        code_id = new_id()
        records.append(
            VoucherCode(
                id=code_id,
                offer=offer.id,
                voucher_import=import_id,
                code_sealed=box.seal(row.code, str(code_id)),
                pin_sealed=box.seal(row.pin, str(code_id)) if row.pin else None,
                code_digest=row.digest,
                denomination=row.denomination,
                expires_on=row.expires_on,
                status=AVAILABLE,
                created_at=now,
            )
        )
    inserted = (
        await VoucherCode.insert(*records)
        .on_conflict(target=VoucherCode.code_digest, action="DO NOTHING")
        .returning(VoucherCode.code_digest)
    )
    landed = {row["code_digest"] for row in inserted}
    for row in fresh:
        if row.digest in landed:
            tally.imported += 1
        else:  # a concurrent import of the same code committed first
            tally.reject(row.line, "the code is already in stock")


async def import_voucher_codes(
    actor: Actor, offer_id: uuid.UUID, source: BinaryIO, file_name: str, *, dry_run: bool = False
) -> VoucherImportReport:
    """Import codes for an offer from a CSV stream (binary, read as it goes).

    Header (any order, any case): ``code, pin, amount, expiry`` — pin and expiry optional; the
    amount in the offer's currency (or ``amount_minor``), one of its denominations; expiry is ``YYYY-MM-DD`` after today.
    A file-level problem (WRONG_HEADER, INVALID_ENCODING, MALFORMED_CSV, FILE_TOO_LARGE,
    TOO_MANY_ROWS, EMPTY_FILE) imports nothing; row problems reject those rows only, each reported
    with its line. ``dry_run`` checks everything (against the stock too) and writes nothing."""
    actor.require(Permission.CATALOG_WRITE)
    check_text("file_name", file_name)
    file_name = (file_name or "upload.csv").strip()[:255]
    offer = await load_offer(offer_id)
    if offer.status == RETIRED:
        raise DomainError.single("OFFER_RETIRED", f"'{offer.title}' is retired: it takes no more stock", field="offer_id")
    lines = _DecodedLines(source)
    tally, today, imported_at = _Tally(), utcnow().date(), utcnow()
    import_id = None if dry_run else new_id()
    # A dry run only reads: it takes no write lock.
    async with contextlib.nullcontext() if dry_run else write_transaction():
        if import_id is not None:
            # Inserted first, so the codes can point at it; the counts are filled in at the end.
            await VoucherImport.insert(
                VoucherImport(
                    id=import_id,
                    offer=offer_id,
                    file_name=file_name,
                    sha256="",
                    size_bytes=0,
                    rows_read=0,
                    rows_imported=0,
                    rejected_rows=[],
                    imported_by=actor.id,
                    imported_by_label=actor.label,
                    imported_at=imported_at,
                )
            )
        line_iterator = iter(lines)
        first = next(line_iterator, None)
        if first is None or not first.strip():
            raise _file_error("EMPTY_FILE", "the file is empty: expected a header line code, pin, amount, expiry")
        reader = csv.reader(itertools.chain([first], line_iterator), delimiter=delimiter_of(first), strict=True)
        seen: dict[str, int] = {}
        batch: list[_Row] = []
        try:
            columns = _header(next(reader))
            consumed = reader.line_num
            for cells in reader:
                line, consumed = consumed + 1, reader.line_num  # a quoted field may span lines: report where the row starts
                if not any(cell.strip() for cell in cells):
                    continue
                tally.rows_read += 1
                if tally.rows_read > MAX_ROWS:
                    raise _file_error("TOO_MANY_ROWS", f"the file has more than {MAX_ROWS:,} rows: split it")
                parsed = _parse_row(cells, columns, line, offer, today)
                if isinstance(parsed, str):
                    tally.reject(line, parsed)
                elif parsed.digest in seen:
                    tally.reject(line, f"duplicate of the code on line {seen[parsed.digest]}")
                else:
                    seen[parsed.digest] = line
                    batch.append(parsed)
                    if len(batch) >= BATCH:
                        await _flush(batch, import_id, offer, tally)
                        batch = []
            await _flush(batch, import_id, offer, tally)
        except csv.Error as error:
            raise _file_error("MALFORMED_CSV", f"line {reader.line_num}: {error}") from None
        rejected = tuple(sorted(tally.rejected, key=lambda row: row.line))
        if import_id is not None:
            await VoucherImport.update(
                {
                    VoucherImport.sha256: lines.sha256.hexdigest(),
                    VoucherImport.size_bytes: lines.size,
                    VoucherImport.rows_read: tally.rows_read,
                    VoucherImport.rows_imported: tally.imported,
                    VoucherImport.rejected_rows: [{"line": r.line, "reason": r.reason} for r in rejected],
                }
            ).where(VoucherImport.id == import_id)
            await audit.record(
                actor,
                "voucher_stock.imported",
                "offer",
                offer_id,
                after={
                    "import_id": import_id,
                    "file_name": file_name,
                    "sha256": lines.sha256.hexdigest(),
                    "rows_read": tally.rows_read,
                    "rows_imported": tally.imported,
                    "rows_rejected": len(rejected),
                },
            )
    return VoucherImportReport(
        id=import_id,
        offer_id=offer_id,
        file_name=file_name,
        sha256=lines.sha256.hexdigest(),
        size_bytes=lines.size,
        rows_read=tally.rows_read,
        rows_imported=tally.imported,
        rejected=rejected,
        dry_run=dry_run,
        imported_by_label=actor.label,
        imported_at=imported_at,
    )


def _report(row: dict) -> VoucherImportReport:
    return VoucherImportReport(
        id=row["id"],
        offer_id=row["offer"],
        file_name=row["file_name"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        rows_read=row["rows_read"],
        rows_imported=row["rows_imported"],
        rejected=tuple(RejectedRow(**item) for item in json_value(row["rejected_rows"]) or ()),
        dry_run=False,
        imported_by_label=row["imported_by_label"],
        imported_at=as_utc(row["imported_at"]),
    )


async def voucher_imports(actor: Actor, offer_id: uuid.UUID) -> list[VoucherImportReport]:
    """The offer's imports, newest first."""
    actor.require(Permission.CATALOG_READ)
    rows = await VoucherImport.select().where(VoucherImport.offer == offer_id).order_by(VoucherImport.id, ascending=False)
    return [_report(row) for row in rows]


async def import_rejections_csv(actor: Actor, import_id: uuid.UUID) -> str:
    """The rejection report of an import as CSV (line, reason), for the partner to fix their file."""
    actor.require(Permission.CATALOG_READ)
    row = await VoucherImport.select().where(VoucherImport.id == import_id).first()
    if row is None:
        raise NotFound("voucher import", import_id, field="import_id")
    return csv_text(("line", "reason"), [(rejected.line, rejected.reason) for rejected in _report(row).rejected])
