"""Every CSV we hand out goes through here, so a spreadsheet never runs a cell as a formula.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is a formula to
Excel, LibreOffice and Google Sheets (CSV injection). Such a cell gets a leading apostrophe, which
spreadsheets show as text and never evaluate. Numbers are written as numbers: they carry no formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> str | int:
    """The cell as it must be written: ``None`` → empty, datetimes in ISO 8601, risky text quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV document (RFC 4180 quoting, CRLF line ends) with every cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([escape_cell(name) for name in header])
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return buffer.getvalue()
