"""HR exports sent as CSV files, read as rows of column → text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from backend.core.csv_import import SizeBoundedReader, delimiter_of
from backend.core.errors import DomainError

MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 200


# ---------------------------------------------------------------- CSV exports


def rows_from_csv(source: BinaryIO) -> Iterator[dict[str, str]]:
    """The rows of an HR export in CSV (UTF-8, with or without a BOM; ``,`` or ``;``), streamed.
    A file-level problem raises where it is met (EMPTY_FILE, INVALID_ENCODING, MALFORMED_CSV,
    FILE_TOO_LARGE, TOO_MANY_COLUMNS): read the rows into a list before syncing, so a bad file
    writes nothing (a sync holds at most MAX_ROWS rows anyway)."""
    text = io.TextIOWrapper(SizeBoundedReader(source, MAX_CSV_BYTES), encoding="utf-8-sig", newline="")
    try:
        header_line = text.readline()
        if not header_line.strip():
            raise DomainError.single("EMPTY_FILE", "the file is empty: expected a header line of column names", field="file")
        delimiter = delimiter_of(header_line)
        header = next(csv.reader([header_line], delimiter=delimiter))
        if len(header) > MAX_COLUMNS:
            raise DomainError.single("TOO_MANY_COLUMNS", f"at most {MAX_COLUMNS} columns", field="file")
        for cells in csv.reader(text, delimiter=delimiter, strict=True):
            if any(cell.strip() for cell in cells):
                yield dict(zip([name.strip() for name in header], cells))
    except UnicodeDecodeError:
        raise DomainError.single("INVALID_ENCODING", "the file is not UTF-8: export it as CSV UTF-8", field="file") from None
    except csv.Error as error:
        raise DomainError.single("MALFORMED_CSV", f"the file is not valid CSV: {error}", field="file") from None
