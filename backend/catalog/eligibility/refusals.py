"""Why a recipient is refused by a rule, in plain words naming the attribute that is missing or
fails: "country is missing; the offer is for IN, DE", "grade is 3; the offer needs grade 5 or more".

It walks the same tree as the evaluator and speaks only of the conditions that decided: for
``a and b`` the parts that failed, for ``a or b`` every part (none held). The evaluator decides;
this only explains a refusal it made (``explain`` of a rule the attributes satisfy is "").
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.catalog.eligibility.evaluator import evaluate, kind_of
from backend.catalog.eligibility.syntax import And, Comparison, Literal, Membership, Not, Or, Rule

_NEEDS = {
    "==": "{a} {v}",
    "!=": "{a} other than {v}",
    "<": "{a} below {v}",
    "<=": "{a} {v} or less",
    ">": "{a} above {v}",
    ">=": "{a} {v} or more",
}
# What `not (condition)` asks for, said positively.
_OPPOSITE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _value(literal: Literal | object) -> str:
    value = literal.value if isinstance(literal, Literal) else literal
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(literals: tuple[Literal, ...]) -> str:
    return ", ".join(_value(literal) for literal in literals)


def _is(attribute: str, attributes: Mapping[str, object], kind: str) -> str:
    """What the recipient has: "country is missing", "grade is 3", "grade is "3" (text, not a number)"."""
    value = attributes.get(attribute)
    if value is None or kind_of(value) is None:
        return f"{attribute} is missing"
    if kind_of(value) != kind:
        return f'{attribute} is "{_value(value)}" ({kind_of(value)}, not {kind})'
    return f"{attribute} is {_value(value)}"


def _condition(rule: Comparison | Membership, attributes: Mapping[str, object], negated: bool = False) -> str:
    match rule:
        case Comparison(attribute, operator, literal):
            wanted = _OPPOSITE[operator] if negated else operator
            need = _NEEDS[wanted].format(a=attribute, v=_value(literal))
            return f"{_is(attribute, attributes, literal.kind)}; the offer needs {need}"
        case Membership(attribute, literals, is_not):
            excluded = is_not != negated
            said = "is not for" if excluded else "is for"
            return f"{_is(attribute, attributes, literals[0].kind)}; the offer {said} {_values(literals)}"
    raise TypeError(f"not a condition: {rule!r}")


def explain(rule: Rule | None, attributes: Mapping[str, object], negated: bool = False) -> str:
    """Why ``attributes`` do not satisfy ``rule`` (``negated``: its negation); "" when they do."""
    if rule is None or evaluate(rule, attributes) != negated:
        return ""
    match rule:
        case Comparison() | Membership():
            return _condition(rule, attributes, negated)
        case Not(operand):
            return explain(operand, attributes, not negated)
        case And(left, right) if not negated:
            return "; ".join(part for part in (explain(left, attributes), explain(right, attributes)) if part)
        case Or(left, right) if negated:  # not (a or b) failed: a or b held
            return "; ".join(part for part in (explain(left, attributes, True), explain(right, attributes, True)) if part)
        case Or(left, right):
            return " — and ".join(part for part in (explain(left, attributes), explain(right, attributes)) if part)
        case And(left, right):  # not (a and b) failed: both held
            return " — and ".join(part for part in (explain(left, attributes, True), explain(right, attributes, True)) if part)
    raise TypeError(f"not a rule: {rule!r}")
