"""The one evaluator: does this recipient satisfy this rule? (Semantics: see the package docstring.)"""

from __future__ import annotations

import operator
from collections.abc import Mapping

from backend.catalog.eligibility.syntax import BOOLEAN, NUMBER, TEXT, And, Comparison, Membership, Not, Or, Rule

# Recipient columns that are attributes too; they win over an HR key of the same name.
# backend.catalog.eligibility.sql reads the same columns.
RECIPIENT_COLUMNS = ("country", "preferred_channel", "source_system")

_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def recipient_attributes(hr_attributes: Mapping[str, object] | None, **columns: object) -> dict[str, object]:
    """The attributes a rule sees: HR attributes overlaid with the recipient columns
    (``recipient_attributes(view.hr_attributes, country=view.country, ...)``)."""
    unknown = set(columns) - set(RECIPIENT_COLUMNS)
    if unknown:
        raise TypeError(f"not recipient attribute columns: {', '.join(sorted(unknown))}")
    attributes = dict(hr_attributes or {})
    for name in RECIPIENT_COLUMNS:
        attributes.pop(name, None)  # a column with no value is missing, not the HR key underneath
        if columns.get(name) is not None:
            attributes[name] = columns[name]
    return attributes


def kind_of(value: object) -> str | None:
    """The kind of a stored value; None for a missing value, or one no literal can match."""
    if isinstance(value, bool):  # before int: True is an int in Python, not in the rule language
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    return None


def evaluate(rule: Rule | None, attributes: Mapping[str, object]) -> bool:
    """True when the attributes satisfy the rule; an empty rule (None) admits everyone."""
    match rule:
        case None:
            return True
        case Comparison(attribute, op, literal):
            value = attributes.get(attribute)
            return kind_of(value) == literal.kind and _COMPARE[op](value, literal.value)
        case Membership(attribute, literals, negated):
            value = attributes.get(attribute)
            if kind_of(value) != literals[0].kind:
                return False
            found = any(value == literal.value for literal in literals)
            return not found if negated else found
        case Not(operand):
            return not evaluate(operand, attributes)
        case And(left, right):
            return evaluate(left, attributes) and evaluate(right, attributes)
        case Or(left, right):
            return evaluate(left, attributes) or evaluate(right, attributes)
    raise TypeError(f"not a rule: {rule!r}")
