"""Many rows of one INSERT statement sent as one multi-row INSERT: the escalation sweep writes an
audit entry and an outbox event per step it takes, hundreds per batch, and one round trip each
would be most of its time. Values stay bound parameters (only placeholders are renumbered)."""

from __future__ import annotations

from collections.abc import Sequence

from backend.core import sql
from backend.core.sql_text import PLACEHOLDER

MAX_PARAMETERS = 30_000  # under SQLite's 32,766 and PostgreSQL's 32,767


def _split(statement_sql: str) -> tuple[str, str]:
    head, _, values = statement_sql.rpartition("VALUES")
    if not head or not values.strip().startswith("(") or not values.strip().endswith(")"):
        raise ValueError("only a plain INSERT … VALUES (…) can be batched")
    return head + "VALUES ", values.strip()


async def insert_all(statements: Sequence[sql.Statement]) -> None:
    """Run INSERTs that share one SQL text as few multi-row INSERTs."""
    if not statements:
        return
    head, row = _split(statements[0].sql)
    if any(statement.sql != statements[0].sql for statement in statements):
        raise ValueError("batched INSERTs share one SQL text")
    width = len(statements[0].args)
    per_chunk = max(1, MAX_PARAMETERS // max(width, 1))
    for start in range(0, len(statements), per_chunk):
        chunk = statements[start : start + per_chunk]
        rows = [PLACEHOLDER.sub(lambda m, shift=index * width: f"${int(m.group(1)) + shift}", row) for index in range(len(chunk))]
        await sql.fetch(head + ", ".join(rows), *(arg for statement in chunk for arg in statement.args))
