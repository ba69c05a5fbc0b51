"""The rule's syntax tree, and the printer that writes it back as canonical text.

``parse(to_text(rule)) == rule`` for every tree: the printer quotes what a bare word cannot carry
and parenthesises by precedence (``or`` < ``and`` < ``not`` < a condition), with binary operators
grouping to the left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TEXT, NUMBER, BOOLEAN = "text", "number", "boolean"
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
ORDERING = ("<", "<=", ">", ">=")
OPERATORS = ("==", "!=", *ORDERING)
BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ATTRIBUTE = re.compile(r"[a-z][a-z0-9_]{0,49}\Z")  # the shape of an HR key (backend.recipients)


@dataclass(frozen=True)
class Literal:
    """A value with its kind. The kind is part of equality: True is not 1, "5" is not 5."""

    kind: str
    value: str | int | bool

    @staticmethod
    def of(value: str | int | bool) -> Literal:
        if isinstance(value, bool):
            return Literal(BOOLEAN, value)
        if isinstance(value, int):
            return Literal(NUMBER, value)
        return Literal(TEXT, value)


@dataclass(frozen=True)
class Comparison:
    attribute: str
    operator: str  # one of OPERATORS
    literal: Literal


@dataclass(frozen=True)
class Membership:
    attribute: str
    literals: tuple[Literal, ...]  # one kind, at least one
    negated: bool = False  # `not in`


@dataclass(frozen=True)
class Not:
    operand: Rule


@dataclass(frozen=True)
class And:
    left: Rule
    right: Rule


@dataclass(frozen=True)
class Or:
    left: Rule
    right: Rule


Rule = Comparison | Membership | Not | And | Or

_PRECEDENCE = {Or: 1, And: 2, Not: 3, Comparison: 4, Membership: 4}  # binding strength


def literal_text(literal: Literal, bare_words: bool = False) -> str:
    """``bare_words``: write text as a bare word where one can carry it (lists of codes: ``[IN, DE]``)."""
    if literal.kind == BOOLEAN:
        return "true" if literal.value else "false"
    if literal.kind == NUMBER:
        return str(literal.value)
    if bare_words and BARE_WORD.match(literal.value) and literal.value not in KEYWORDS:
        return literal.value
    return '"' + literal.value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _grouped(node: Rule, tighter_than: int) -> str:
    text = to_text(node)
    return f"({text})" if _PRECEDENCE[type(node)] < tighter_than else text


def to_text(rule: Rule) -> str:
    match rule:
        case Comparison(attribute, operator, literal):
            return f"{attribute} {operator} {literal_text(literal)}"
        case Membership(attribute, literals, negated):
            values = ", ".join(literal_text(literal, bare_words=True) for literal in literals)
            return f"{attribute} {'not in' if negated else 'in'} [{values}]"
        case Not(operand):
            # Parentheses for readability (`not (tenure < 1)`), though `not` binds tighter anyway.
            return f"not {to_text(operand)}" if isinstance(operand, Not) else f"not ({to_text(operand)})"
        case And(left, right) | Or(left, right):
            precedence = _PRECEDENCE[type(rule)]
            keyword = "and" if isinstance(rule, And) else "or"
            # Left-grouping: a right operand of the same precedence needs parentheses.
            return f"{_grouped(left, precedence)} {keyword} {_grouped(right, precedence + 1)}"
    raise TypeError(f"not a rule: {rule!r}")


def attributes(rule: Rule | None) -> frozenset[str]:
    """The attributes a rule reads (``country in [IN, DE] and grade >= 5`` → country, grade)."""
    match rule:
        case None:
            return frozenset()
        case Comparison(attribute, _, _) | Membership(attribute, _, _):
            return frozenset((attribute,))
        case Not(operand):
            return attributes(operand)
        case And(left, right) | Or(left, right):
            return attributes(left) | attributes(right)
    raise TypeError(f"not a rule: {rule!r}")
