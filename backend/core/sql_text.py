"""The text of several statements sent as one (PostgreSQL): how :mod:`backend.core.sql` joins a
use case's writes into ``WITH d0 AS (…), d1 AS (…) …``, and counts the rows of its guarded ones.
Pure text, built once per combination of statements (a use case sends the same few again and again).

A *shape* is what a statement's text depends on: its SQL and its number of arguments.
"""

from __future__ import annotations

import re
from functools import lru_cache

PLACEHOLDER = re.compile(r"\$(\d+)")


def _renumbered(shapes: tuple[tuple[str, int], ...]) -> list[str]:
    parts, offset = [], 0
    for sql, count in shapes:
        parts.append(PLACEHOLDER.sub(lambda match, shift=offset: f"${int(match.group(1)) + shift}", sql))
        offset += count
    return parts


@lru_cache(maxsize=256)
def combined(shapes: tuple[tuple[str, int], ...]) -> str:
    """A use case sends the same few combinations again and again: build each text once."""
    parts = _renumbered(shapes)
    ctes = ", ".join(f"d{index} AS ({part})" for index, part in enumerate(parts[:-1]))
    return f"WITH {ctes} {parts[-1]}"


@lru_cache(maxsize=256)
def checked(shapes: tuple[tuple[str, int], ...], guarded: tuple[int, ...], last: int | None) -> str:
    """Every statement a CTE; the main query counts the rows of the guarded ones (``g<i>``) and of
    the last (``n``). (CTEs the main query does not read still run, to completion.)"""
    ctes = ", ".join(f"d{index} AS ({part})" for index, part in enumerate(_renumbered(shapes)))
    counts = [f"(SELECT count(*) FROM d{index}) AS g{index}" for index in guarded]
    if last is not None:
        counts.append(f"(SELECT count(*) FROM d{last}) AS n")
    return f"WITH {ctes} SELECT {', '.join(counts)}"
