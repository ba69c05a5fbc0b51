"""The same rule as a SQL condition over the ``recipients`` table, so "N of M eligible" is counted
in the database (PostgreSQL json/jsonb operators, SQLite json_type/json_extract).

Every condition compiles to ``CASE WHEN <present and of the literal's kind> THEN <comparison>
ELSE FALSE END``: never NULL, so NOT/AND/OR keep the evaluator's two-valued logic, and a cast
(``::numeric``) only ever sees a value of the right JSON type (CASE fixes the order).
Values travel as parameters (``{}`` placeholders, as Piccolo's raw queries take them); attribute
names are inlined, which is safe because the parser admits only ``[a-z][a-z0-9_]*``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from backend.catalog.eligibility.evaluator import RECIPIENT_COLUMNS
from backend.catalog.eligibility.syntax import (
    ATTRIBUTE,
    BOOLEAN,
    NUMBER,
    TEXT,
    And,
    Comparison,
    Literal,
    Membership,
    Not,
    Or,
    Rule,
)

POSTGRES, SQLITE = "postgres", "sqlite"
_SQL_OPERATOR = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class SqlCondition:
    sql: str  # a boolean expression with {} placeholders
    params: tuple


class _Dialect:
    true = "TRUE"
    false = "FALSE"

    def __init__(self, json_column: str, jsonb: bool, alias: str | None):
        self.prefix = f'"{alias}".' if alias else ""
        self.json_column = f'{self.prefix}"{json_column}"'
        self.jsonb = jsonb

    def column(self, name: str) -> str:
        return f'{self.prefix}"{name}"'

    def json_check(self, attribute: str, kind: str) -> str:
        raise NotImplementedError

    def json_value(self, attribute: str, kind: str) -> str:
        raise NotImplementedError


class _Postgres(_Dialect):
    _TYPE_NAME: ClassVar[dict[str, str]] = {TEXT: "string", NUMBER: "number", BOOLEAN: "boolean"}
    _CAST: ClassVar[dict[str, str]] = {TEXT: "", NUMBER: "::numeric", BOOLEAN: "::boolean"}

    def json_check(self, attribute: str, kind: str) -> str:
        function = "jsonb_typeof" if self.jsonb else "json_typeof"
        return f"{function}({self.json_column} -> '{attribute}') = '{self._TYPE_NAME[kind]}'"

    def json_value(self, attribute: str, kind: str) -> str:
        return f"({self.json_column} ->> '{attribute}'){self._CAST[kind]}"


class _SQLite(_Dialect):
    true = "1"
    false = "0"
    _TYPES: ClassVar[dict[str, str]] = {TEXT: "= 'text'", NUMBER: "IN ('integer', 'real')", BOOLEAN: "IN ('true', 'false')"}

    def json_check(self, attribute: str, kind: str) -> str:
        return f"json_type({self.json_column}, '$.{attribute}') {self._TYPES[kind]}"

    def json_value(self, attribute: str, kind: str) -> str:
        if kind == BOOLEAN:  # json_extract reads true as 1 and false as 0; json_type tells them from numbers
            return f"(json_type({self.json_column}, '$.{attribute}') = 'true')"
        return f"json_extract({self.json_column}, '$.{attribute}')"


class _Compiler:
    def __init__(self, dialect: _Dialect):
        self.dialect = dialect
        self.params: list = []

    def guarded(self, attribute: str, kind: str, test: Callable[[], str]) -> str:
        """``test()`` writes the test of the attribute's value (adding its parameters); the test runs
        only when the value is present and of ``kind``."""
        if not ATTRIBUTE.match(attribute):
            raise ValueError(f"not an attribute name: {attribute!r}")
        if attribute in RECIPIENT_COLUMNS:
            if kind != TEXT:  # the columns hold text: no number or boolean can match
                return self.dialect.false
            check, value = f"{self.dialect.column(attribute)} IS NOT NULL", self.dialect.column(attribute)
        else:
            check, value = self.dialect.json_check(attribute, kind), self.dialect.json_value(attribute, kind)
        return f"CASE WHEN {check} THEN {value} {test()} ELSE {self.dialect.false} END"

    def param(self, literal: Literal) -> str:
        self.params.append(literal.value)
        return "{}"

    def compile(self, rule: Rule) -> str:
        match rule:
            case Comparison(attribute, op, literal):
                return self.guarded(attribute, literal.kind, lambda: f"{_SQL_OPERATOR[op]} {self.param(literal)}")
            case Membership(attribute, literals, negated):
                return self.guarded(
                    attribute,
                    literals[0].kind,
                    lambda: f"{'NOT IN' if negated else 'IN'} ({', '.join(self.param(literal) for literal in literals)})",
                )
            case Not(operand):
                return f"(NOT {self.compile(operand)})"
            case And(left, right):
                return f"({self.compile(left)} AND {self.compile(right)})"
            case Or(left, right):
                return f"({self.compile(left)} OR {self.compile(right)})"
        raise TypeError(f"not a rule: {rule!r}")


def compile_sql(
    rule: Rule | None, dialect: str, *, json_column: str = "hr_attributes", jsonb: bool = False, alias: str | None = None
) -> SqlCondition:
    """A SQL boolean expression true exactly for the rows :func:`evaluate` admits.

    ``dialect`` is "postgres" or "sqlite"; ``jsonb`` says the PostgreSQL column is jsonb rather
    than json; ``alias`` qualifies the columns (``alias."country"``)."""
    chosen = {POSTGRES: _Postgres, SQLITE: _SQLite}[dialect](json_column, jsonb, alias)
    if rule is None:
        return SqlCondition(chosen.true, ())
    compiler = _Compiler(chosen)
    sql = compiler.compile(rule)
    return SqlCondition(sql, tuple(compiler.params))
