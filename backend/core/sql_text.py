"""The text of several statements sent as one (PostgreSQL): how :mod:`backend.core.sql` joins a
use case's writes into ``WITH d0 AS (…), d1 AS (…) …``, chains the writes that follow a deciding
UPDATE, and makes a statement that changed nothing fail the whole. Pure text, built once per
combination of statements (a use case sends the same few again and again).

A *shape* is what a statement's text depends on: its SQL and its number of arguments, or, for
:func:`chained`, which arguments are expressions (``(sql, count)``) and which plain values (None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

PLACEHOLDER = re.compile(r"\$(\d+)")


def _spliced(sql: str, shape: tuple, offset: int) -> tuple[str, int]:
    """``sql`` with its placeholders numbered from ``offset`` + 1 and each expression written in
    place; returns the text and the placeholders it used."""
    numbers: dict[int, str] = {}
    used = 0
    for position, arg in enumerate(shape, 1):
        if arg is None:
            used += 1
            numbers[position] = f"${offset + used}"
        else:
            inner, count = _spliced(arg[0], (None,) * arg[1], offset + used)
            numbers[position] = f"({inner})"
            used += count
    return PLACEHOLDER.sub(lambda match: numbers[int(match.group(1))], sql), used


_VALUES = re.compile(r"\bVALUES\s*\(", re.IGNORECASE)
_WHERE = re.compile(r"\sWHERE\s", re.IGNORECASE)


def _after_first(sql: str) -> str:
    """An INSERT … VALUES (…) as INSERT … SELECT … FROM d; an UPDATE … WHERE as UPDATE … FROM
    (a row of d) WHERE: each runs once if ``d`` has its row, and only after ``d`` has run."""
    if sql.lstrip()[:6].upper() == "UPDATE":
        where = _WHERE.search(sql)
        return f"{sql[: where.start()]} FROM (SELECT FROM d) AS after_d{sql[where.start() :]}"
    opening = _VALUES.search(sql)
    index = _past_parenthesis(sql, opening.end())
    return f"{sql[: opening.start()]}SELECT {sql[opening.end() : index - 1]} FROM d{sql[index:]}"


def _past_parenthesis(sql: str, index: int) -> int:
    """Where the parenthesis opened just before ``index`` has closed (our own SQL: no parentheses in literals)."""
    depth = 1
    while depth:
        depth += {"(": 1, ")": -1}.get(sql[index], 0)
        index += 1
    return index


_CTE = re.compile(r"\s*(?:WITH\s+|,\s*)(\w+)\s+AS\s*\(", re.IGNORECASE)


def _hoisted(sql: str) -> tuple[list[str], str]:
    """A statement that starts ``WITH a AS (…), b AS (…) main``: its CTEs, and ``main``. PostgreSQL
    allows a data-modifying WITH only at the top level, so the first statement's go there."""
    ctes, index = [], 0
    while match := _CTE.match(sql, index):
        if not ctes and not match.group(0).lstrip().upper().startswith("WITH"):
            break
        index = _past_parenthesis(sql, match.end())
        ctes.append(f"{match.group(1)} AS ({sql[match.end() : index - 1]})")
    return ctes, sql[index:].strip()


@lru_cache(maxsize=128)
def chained(shapes: tuple[tuple, ...], guarded: tuple[int, ...]) -> str:
    parts, offset = [], 0
    for index, (sql, shape) in enumerate(shapes):
        text, used = _spliced(sql if index == 0 else _after_first(sql), shape, offset)
        parts.append(text)
        offset += used
    inner, first = _hoisted(parts[0])
    ctes = ", ".join([*inner, f"d AS ({first})", *(f"c{index} AS ({part})" for index, part in enumerate(parts[1:]))])
    checks = _unless_changed(f"c{index}" for index in guarded)
    return f"WITH {ctes} SELECT d.* FROM d WHERE {checks}"


def _unless_changed(ctes: Iterable[str]) -> str:
    """An expression that is true if each CTE returned a row, and otherwise fails the statement
    through ``mirabelle_unchanged``, which names only the guard's position: no value, and no
    text of ours but a number, reaches the server's log."""
    failures = " ".join(
        f"WHEN NOT EXISTS (SELECT FROM {name}) THEN mirabelle_unchanged({position})" for position, name in enumerate(ctes)
    )
    return f"CASE {failures} ELSE true END" if failures else "true"


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
