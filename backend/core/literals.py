"""Arguments written into SQL text as typed literals, for a statement sent with the simple query
protocol (``sql.commit_checked``: a last statement and its COMMIT in one message).

Each value becomes the text PostgreSQL's input function of its placeholder's type reads, quoted as
libpq's ``PQescapeLiteral`` does (quotes doubled; with a backslash, an ``E''`` string with it
doubled: safe whatever ``standard_conforming_strings`` says), and cast to that type, so the
statement means what it means with bound parameters. A value with no literal form here (bytes, a
list, NUL in text, a naive time for a time zone…) raises :class:`NoLiteral`: the caller binds it
instead.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

_PLACEHOLDER = re.compile(r"\$(\d+)")


class NoLiteral(Exception):
    """This value is sent as a bound parameter instead."""


def quoted(text: str) -> str:
    if "\x00" in text:
        raise NoLiteral("text with a NUL character")
    text = text.replace("'", "''")
    if "\\" in text:
        return "E'" + text.replace("\\", "\\\\") + "'"
    return "'" + text + "'"


def literal(value: Any, schema: str, name: str, kind: str) -> str:
    """``value`` as a literal of the type ``schema.name``."""
    if kind != "scalar":
        raise NoLiteral(f"a {kind} type")
    cast = f'::"{schema}"."{name}"'
    if value is None:
        return "NULL" + cast
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise NoLiteral("a number that is not finite")
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value
    elif isinstance(value, uuid.UUID):
        text = str(value)
    elif isinstance(value, datetime):
        if name == "timestamptz":
            text = value.astimezone(UTC).isoformat()  # a naive time is local, as asyncpg reads it
        elif name == "timestamp" and value.tzinfo is None:
            text = value.isoformat()
        else:
            raise NoLiteral(f"a datetime for {name}")
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        raise NoLiteral(f"a {type(value).__name__}")
    return quoted(text) + cast


def spliced(sql: str, args: Sequence[Any], types: Sequence[tuple[str, str, str]]) -> str:
    """``sql`` with each ``$n`` replaced by ``args[n - 1]`` as a literal of ``types[n - 1]``
    ((schema, name, kind), as PostgreSQL described the prepared statement)."""
    if len(args) != len(types):
        raise ValueError(f"{len(args)} arguments for {len(types)} placeholders")
    values = [literal(value, *kind) for value, kind in zip(args, types, strict=True)]
    return _PLACEHOLDER.sub(lambda match: values[int(match.group(1)) - 1], sql)
