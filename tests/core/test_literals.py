"""Values written into SQL text as literals (``backend.core.literals``): what PostgreSQL reads back
is what was meant, whatever the text holds — and what has no literal form here says so."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backend.core import literals

TEXT = ("pg_catalog", "text", "scalar")
STAMP = ("pg_catalog", "timestamptz", "scalar")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("'; DROP TABLE campaigns; --", "'''; DROP TABLE campaigns; --'"),
        ("back\\slash 'and' quote", "E'back\\\\slash ''and'' quote'"),
        ("naïve — ünïcode\nnewline", "'naïve — ünïcode\nnewline'"),
    ],
)
def test_text_is_quoted_as_libpq_does(text, expected):
    assert literals.quoted(text) == expected


def test_each_value_is_cast_to_its_placeholder_type():
    moment = datetime(2026, 12, 2, 15, 30, 1, 250, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert literals.literal(None, *TEXT) == 'NULL::"pg_catalog"."text"'
    assert literals.literal(True, "pg_catalog", "bool", "scalar") == """'true'::"pg_catalog"."bool\""""
    assert literals.literal(-42, "pg_catalog", "int8", "scalar") == """'-42'::"pg_catalog"."int8\""""
    assert literals.literal(Decimal("0.25"), "pg_catalog", "numeric", "scalar") == """'0.25'::"pg_catalog"."numeric\""""
    assert literals.literal(key, "pg_catalog", "uuid", "scalar") == f"""'{key}'::"pg_catalog"."uuid\""""
    assert literals.literal(moment, *STAMP) == """'2026-12-02T10:00:01.000250+00:00'::"pg_catalog"."timestamptz\""""
    assert literals.literal(date(2026, 12, 2), "pg_catalog", "date", "scalar") == """'2026-12-02'::"pg_catalog"."date\""""


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (b"bytes", ("pg_catalog", "bytea", "scalar")),
        ([1, 2], ("pg_catalog", "_int4", "array")),
        ("nul\x00byte", TEXT),
        (float("nan"), ("pg_catalog", "float8", "scalar")),
        (datetime(2026, 12, 2, 12, tzinfo=UTC), ("pg_catalog", "timestamp", "scalar")),
        ({"a": 1}, ("pg_catalog", "jsonb", "scalar")),
    ],
)
def test_what_has_no_literal_form_is_bound_instead(value, kind):
    with pytest.raises(literals.NoLiteral):
        literals.literal(value, *kind)


def test_placeholders_are_replaced_once_never_inside_a_value():
    sql = "SELECT " + ", ".join(f"${n}" for n in range(1, 11))
    args = ("$2 is text", *(str(n) for n in range(2, 11)))
    expected = ", ".join(f"""'{arg}'::"pg_catalog"."text\"""" for arg in args)
    assert literals.spliced(sql, args, [TEXT] * 10) == f"SELECT {expected}"
    with pytest.raises(ValueError):
        literals.spliced("SELECT $1", ("a", "b"), [TEXT])
