"""Many rows in one INSERT, values always bound: multi-row ``VALUES`` in chunks under SQLite's
32,766 parameters. The SQLite path of recording events uses it; PostgreSQL records through a COPY
(``backend.insights.staging``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from backend.core import sql

_MAX_PARAMETERS = 30_000


async def insert_rows(head: str, rows: Sequence[tuple], tail: str = "") -> list[sql.Row]:
    """``{head} <rows> {tail}``: ``head`` is ``INSERT INTO t (c1, c2, …)``, ``tail`` e.g.
    ``ON CONFLICT … RETURNING …``. Runs in the caller's transaction; returns what ``tail`` returns."""
    if not rows:
        return []
    width = len(rows[0])
    per_statement = _MAX_PARAMETERS // width
    returned: list[sql.Row] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        returned.extend(await sql.fetch(_values_sql(head, width, len(chunk), tail), *[value for row in chunk for value in row]))
    return returned


@functools.lru_cache(maxsize=64)
def _values_sql(head: str, width: int, rows: int, tail: str) -> str:
    row = lambda n: "(" + ", ".join(f"${n * width + column + 1}" for column in range(width)) + ")"  # noqa: E731
    return f"{head} VALUES {', '.join(row(n) for n in range(rows))} {tail}"
