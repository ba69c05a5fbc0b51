"""What every CSV import shares: the delimiter taken from the header line, a byte stream that
refuses a file past its size bound as it is read (so a file is never loaded whole to be measured),
and an XLSX cell read as the text a CSV of the sheet would hold (the imports that take both)."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import BinaryIO

from backend.core.errors import DomainError


def delimiter_of(header_line: str) -> str:
    """``;`` when the header has more of them than commas (European Excel exports), else ``,``."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def cell_text(value: object) -> str:
    """An XLSX cell's cached value as the text a CSV of the sheet would hold (dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):g} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


class SizeBoundedReader(io.RawIOBase):
    """``source`` as a raw stream that raises FILE_TOO_LARGE (on the ``file`` field) once more than
    ``max_bytes`` have passed; ``passed(data)`` sees every block (subclasses hash or keep them)."""

    def __init__(self, source: BinaryIO, max_bytes: int):
        self.source, self.max_bytes, self.size = source, max_bytes, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        if not data:
            return 0
        self.size += len(data)
        if self.size > self.max_bytes:
            raise DomainError.single(
                "FILE_TOO_LARGE",
                f"the file is larger than {megabytes(self.max_bytes)}: split it into smaller files",
                field="file",
            )
        self.passed(data)
        buffer[: len(data)] = data
        return len(data)

    def passed(self, data: bytes) -> None:
        """A block on its way through, within the bound."""
