"""Reading an upload as a stream of rows: CSV (UTF-8 with or without a BOM, ``,`` or ``;``) or XLSX.

CSV is read with the stdlib ``csv`` module over ``io.TextIOWrapper(encoding="utf-8-sig",
errors="strict")``, one bounded line at a time, so a file is never loaded whole; the delimiter is
the one the header line uses most (``;`` or ``,``). XLSX goes through ``python-calamine``, which reads
the cached values of cells and never evaluates a formula; a workbook is a zip archive, which
cannot be read as a stream, so an XLSX upload is held in memory (bounded by ``max_bytes``) while
its sheet is read: the first sheet whose first row is an upload header (``columns.read_header``);
when none is, the error names the sheets found.

Every byte passes a meter that enforces the size bound, computes the SHA-256 and hands the bytes
on in 1 MiB chunks (:meth:`UploadReader.take_chunks`) so the caller can keep the file for audit
without holding it. The header is checked here (see ``columns.py`` for the names: columns it does
not know are read past and listed in ``ignored_columns``, unless ``strict_columns``); file-level
problems raise ``DomainError`` with ``field="file"`` and one of these codes:

EMPTY_FILE, NO_ROWS (a header and nothing else), WRONG_HEADER, INVALID_ENCODING (with the byte
offset and line), FILE_TOO_LARGE, LINE_TOO_LONG, TOO_MANY_ROWS, TOO_MANY_COLUMNS, MALFORMED_CSV,
INVALID_XLSX, UNSUPPORTED_FORMAT.

The bounds (``UploadLimits``, from the constants below) are the one definition of how large a
reward file may be: the API's request body limit (``backend/api/uploads.py``) and the console's
upload widget are derived from them.

A row whose shape is wrong (a field too many or too few, a cell too long) is still a row: it comes
out with its problem, to be staged as invalid with its line number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import operator
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from backend.core.csv_import import SizeBoundedReader, cell_text, delimiter_of
from backend.core.errors import DomainError, FieldError
from backend.rewards.uploads.services.columns import EXPECTED, Header, read_header

CSV, XLSX = "csv", "xlsx"
CHUNK_BYTES = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


# How large a reward file may be (documented in graphql/README.md, "Limits"): a 100,000-row export
# with ten columns is ~13 MB.
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 60


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = MAX_FILE_BYTES
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    max_cell_chars: int = 1000
    max_line_chars: int = 64 * 1024


@dataclass(frozen=True)
class ParsedRow:
    line: int  # CSV: the line the row starts on (a quoted field may span lines); XLSX: the sheet row
    cells: dict[str, str]  # column → text, every column of the header present
    problems: tuple[FieldError, ...] = ()


def file_error(code: str, message: str) -> DomainError:
    return DomainError.single(code, message, field="file")


class _Meter(SizeBoundedReader):
    """The upload's bytes as they pass: size bound, SHA-256, the last few blocks (to place a decoding
    error exactly) and the bytes to keep, handed out in whole chunks."""

    def __init__(self, source: BinaryIO, max_bytes: int):
        super().__init__(source, max_bytes)
        self.sha256 = hashlib.sha256()
        self.newlines_before_window = 0
        self.window: deque[tuple[int, bytes]] = deque()  # (offset, block)
        self.kept = bytearray()

    def passed(self, data: bytes) -> None:
        self.sha256.update(data)
        self.kept += data
        self.window.append((self.size - len(data), data))
        while len(self.window) > 3:
            self.newlines_before_window += self.window.popleft()[1].count(b"\n")

    def take_chunks(self, final: bool = False) -> list[bytes]:
        """The kept bytes in whole chunks of CHUNK_BYTES (and the rest when ``final``)."""
        chunks = []
        while len(self.kept) >= CHUNK_BYTES or (final and self.kept):
            chunks.append(bytes(self.kept[:CHUNK_BYTES]))
            del self.kept[:CHUNK_BYTES]
        return chunks

    def encoding_error(self) -> DomainError:
        """Where the first byte that is not UTF-8 is: everything before the window decoded."""
        if self.window:
            start = self.window[0][0]
            window = b"".join(block for _, block in self.window)
            skip = 0
            while skip < min(3, len(window)) and window[skip] & 0xC0 == 0x80:
                skip += 1  # the tail of a character that began before the window
            try:
                window[skip:].decode("utf-8")
            except UnicodeDecodeError as error:
                position = skip + error.start
                line = self.newlines_before_window + window[:position].count(b"\n") + 1
                return file_error(
                    "INVALID_ENCODING",
                    f"the file is not UTF-8: byte 0x{window[position]:02x} at byte {start + position} "
                    f'(line {line}); save it as UTF-8 ("CSV UTF-8" in Excel) and upload it again',
                )
        return file_error(
            "INVALID_ENCODING", f"the file is not UTF-8 (near byte {self.size}); save it as UTF-8 and upload it again"
        )


class UploadReader:
    """An opened upload: its format and header now, its rows as they are read, and, once the rows
    are exhausted, its size and SHA-256."""

    def __init__(self, source: BinaryIO, file_name: str, limits: UploadLimits | None = None, *, strict_columns: bool = False):
        self.limits = limits or UploadLimits()
        self.file_name = file_name
        self.strict_columns = strict_columns
        self.sheet_name: str | None = None  # XLSX: the sheet read
        self._meter = _Meter(source, self.limits.max_bytes)
        self._buffered = io.BufferedReader(self._meter, buffer_size=64 * 1024)
        magic = self._buffered.peek(4)[:4]
        if not magic:
            raise file_error("EMPTY_FILE", "the file is empty: expected a header line (external_id, offer, denomination, …)")
        if magic.startswith(_OLE_MAGIC) or file_name.lower().endswith(".xls"):
            raise file_error("UNSUPPORTED_FORMAT", "old Excel (.xls) files are not read: save the sheet as .xlsx or as CSV UTF-8")
        self.format = XLSX if magic == _ZIP_MAGIC else CSV
        self._rows = self._open_xlsx() if self.format == XLSX else self._open_csv()
        self.columns: tuple[str, ...] = self._header.columns
        self.ignored_columns: tuple[str, ...] = self._header.ignored
        self.rows_read = 0

    # ------------------------------------------------------------ what callers use

    @property
    def size(self) -> int:
        return self._meter.size

    @property
    def sha256(self) -> str:
        return self._meter.sha256.hexdigest()

    def take_chunks(self, final: bool = False) -> list[bytes]:
        return self._meter.take_chunks(final)

    def rows(self) -> Iterator[ParsedRow]:
        """Each non-blank data row, in file order; raises TOO_MANY_ROWS past the bound and NO_ROWS
        when there are none."""
        for row in self._rows:
            self.rows_read += 1
            if self.rows_read > self.limits.max_rows:
                raise file_error("TOO_MANY_ROWS", f"the file has more than {self.limits.max_rows:,} rows: split it")
            yield row
        if self.rows_read == 0:
            raise file_error("NO_ROWS", "the file has a header but no rows")

    # ------------------------------------------------------------ shared

    def _set_header(self, cells: list[str]) -> None:
        self._header = self._read_header(cells)
        header = self._header
        self._columns = header.columns
        # A full row's cells of the upload columns, when some are ignored (a header has at least two
        # upload columns, external_id and points, so the itemgetter gives a tuple).
        everything = header.positions == tuple(range(header.width))
        self._pick = None if everything else operator.itemgetter(*header.positions)

    def _read_header(self, cells: list[str]) -> Header:
        width = len(cells)
        while width and not cells[width - 1].strip():
            width -= 1  # a spreadsheet's empty trailing header cells are not columns
        if width > self.limits.max_columns:
            raise file_error("TOO_MANY_COLUMNS", f"the header has {width:,} columns; at most {self.limits.max_columns}")
        return read_header(cells[:width], strict=self.strict_columns)

    def _row(self, line: int, cells: list[str]) -> ParsedRow | None:
        """The row as column → text, or None when blank."""
        if not any(map(str.strip, cells)):
            return None
        width = self._header.width
        if len(cells) == width and max(map(len, cells)) <= self.limits.max_cell_chars:  # the usual row, without a problem
            return ParsedRow(line=line, cells=dict(zip(self._columns, cells if self._pick is None else self._pick(cells))))
        problems: list[FieldError] = []
        if len(cells) > width and any(cell.strip() for cell in cells[width:]) or len(cells) < width and self.format == CSV:
            problems.append(FieldError(None, "WRONG_FIELD_COUNT", f"expected {width} fields, found {len(cells)}"))
        values = {}
        for index, column in zip(self._header.positions, self._columns):
            cell = cells[index] if index < len(cells) else ""
            if len(cell) > self.limits.max_cell_chars:
                problems.append(
                    FieldError(column, "CELL_TOO_LONG", f"{column} is longer than {self.limits.max_cell_chars} characters")
                )
                cell = cell[: self.limits.max_cell_chars]
            values[column] = cell
        return ParsedRow(line=line, cells=values, problems=tuple(problems))

    # ------------------------------------------------------------ CSV

    def _open_csv(self) -> Iterator[ParsedRow]:
        text = io.TextIOWrapper(self._buffered, encoding="utf-8-sig", errors="strict", newline="")
        lines = self._lines(text)
        header_line = next(lines, None)
        self._comment_lines = 0
        # A template's comment lines before the header ("# SHOP-IN-500 · …", templates.py): skipped,
        # also when a spreadsheet saved them quoted ("# a, b" → "\"# a, b\"").
        while header_line is not None and header_line.lstrip('"').startswith("#"):
            self._comment_lines += 1
            header_line = next(lines, None)
        if header_line is None or not header_line.strip():
            raise file_error(
                "EMPTY_FILE", "the first line is empty: expected a header line (external_id, offer, denomination, …)"
            )
        delimiter = self._delimiter = delimiter_of(header_line)
        try:
            self._set_header(next(csv.reader([header_line], delimiter=delimiter, strict=True)))
        except csv.Error as error:
            raise file_error("WRONG_HEADER", f"line 1 is not a header line: {error}") from None
        return self._csv_rows(lines, delimiter)

    def _lines(self, text: io.TextIOWrapper) -> Iterator[str]:
        limit = self.limits.max_line_chars
        for number in itertools.count(1):
            try:
                line = text.readline(limit + 1)
            except UnicodeDecodeError:
                raise self._meter.encoding_error() from None
            if not line:
                return
            if len(line) > limit and not line.endswith("\n"):
                raise self._line_too_long(number, line, text)
            yield line

    def _line_too_long(self, number: int, start: str, text: io.TextIOWrapper) -> DomainError:
        """What a line past the bound holds: its fields are counted to its end (within the file's
        size bound), so a file of thousands of columns is told so rather than only that it is long."""
        delimiter = delimiter_of(start) if number == 1 else self._delimiter
        fields, chars, whole, part = start.count(delimiter) + 1, len(start), True, start
        try:
            while not part.endswith("\n") and (part := text.readline(CHUNK_BYTES)):
                fields += part.count(delimiter)
                chars += len(part)
        except (UnicodeDecodeError, DomainError):
            whole = False  # not UTF-8, or past the size bound: what was counted is a lower bound
        at_least = "" if whole else "at least "
        if number == 1 and fields > self.limits.max_columns:
            return file_error(
                "TOO_MANY_COLUMNS",
                f"the header has {at_least}{fields:,} columns; at most {self.limits.max_columns} "
                f"(and at most {self.limits.max_line_chars:,} characters a line)",
            )
        return file_error(
            "LINE_TOO_LONG",
            f"line {number} has {at_least}{chars:,} characters in {fields:,} field{'s' if fields != 1 else ''}; "
            f"a line has at most {self.limits.max_line_chars:,} characters and {self.limits.max_columns} columns: is this a CSV file?",
        )

    def _csv_rows(self, lines: Iterator[str], delimiter: str) -> Iterator[ParsedRow]:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        consumed = skipped = 1 + self._comment_lines  # the comment lines and the header
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise file_error("MALFORMED_CSV", f"line {consumed + 1}: {error}") from None
            line, consumed = consumed + 1, reader.line_num + skipped
            row = self._row(line, cells)
            if row is not None:
                yield row

    # ------------------------------------------------------------ XLSX

    def _open_xlsx(self) -> Iterator[ParsedRow]:
        from python_calamine import CalamineError, CalamineWorkbook

        data = self._buffered.read()  # bounded by the meter
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            names = list(workbook.sheet_names)
            if not names:
                raise ValueError("no sheet")
            refusals: list[tuple[str, list[str], DomainError]] = []
            for name in names:  # the first sheet whose first row is an upload header
                sheet = workbook.get_sheet_by_name(name)
                rows = iter(sheet.iter_rows())
                header = [cell_text(cell) for cell in next(rows, None) or ()]
                try:
                    if not any(cell.strip() for cell in header):
                        raise file_error("EMPTY_FILE", f"the first row of the sheet '{name}' is empty: expected a header row")
                    self._set_header(header)
                except DomainError as refusal:
                    refusals.append((name, header, refusal))
                    continue
                self.sheet_name = name
                return self._xlsx_rows(rows, (sheet.start[0] if sheet.start else 0) + 2)
        except (CalamineError, ValueError, IndexError) as error:
            raise file_error("INVALID_XLSX", f"the file is not a readable XLSX workbook ({error})") from None
        finally:
            del data
        if len(refusals) == 1:
            raise refusals[0][2]
        raise file_error(
            "WRONG_HEADER",
            f"no sheet of the workbook has the upload's header in its first row ({EXPECTED}; external_id and either "
            f"offer and denomination or points are required); the sheets found: "
            + "; ".join(f"'{name}' ({_first_row(header)})" for name, header, _ in refusals[:20])
            + (f"; and {len(refusals) - 20} more" if len(refusals) > 20 else ""),
        )

    def _xlsx_rows(self, rows: Iterator[list], first_line: int) -> Iterator[ParsedRow]:
        for line, cells in enumerate(rows, start=first_line):
            row = self._row(line, [cell_text(cell) for cell in cells])
            if row is not None:
                yield row


def _first_row(cells: list[str]) -> str:
    """A sheet's first row as an error names it."""
    cells = [cell.strip() for cell in cells if cell.strip()]
    if not cells:
        return "its first row is empty"
    return "first row: " + ", ".join(cell[:40] for cell in cells[:6]) + (", …" if len(cells) > 6 else "")


def open_upload(
    source: BinaryIO, file_name: str, limits: UploadLimits | None = None, *, strict_columns: bool = False
) -> UploadReader:
    """Open an upload and read its header; raises DomainError (field ``file``) for a file-level
    problem. ``strict_columns``: a column that is not an upload column refuses the file."""
    return UploadReader(source, file_name, limits, strict_columns=strict_columns)
