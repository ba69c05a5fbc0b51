"""Eligibility rules: a small expression language over a recipient's attributes.

    country in [IN, DE] and grade >= 5
    department == "Sales" or not (tenure < 1)
    business_unit not in ["Retail", "Logistics"] and is_manager == true

**Attributes** are a recipient's HR attributes (``hr_attributes``: ``grade``, ``department``,
``tenure``, custom keys) plus the recipient columns ``country``, ``preferred_channel`` and
``source_system``, which win over an HR key of the same name. Names are lower_snake_case.

**Values** are whole numbers (``5``, ``-1``), text (``"Sales"``, ``'Sales'``, or a bare word such
as ``IN``), or ``true`` / ``false``. Keywords (``and or not in true false``) are lower case, so
``IN`` is India, not the operator. Text compares exactly (case-sensitive).

**Operators**: ``==`` and ``!=`` for any value; ``<``, ``<=``, ``>``, ``>=`` for numbers only;
``in [..]`` and ``not in [..]`` with a non-empty list of values of one kind; ``and`` binds tighter
than ``or``; ``not`` negates what follows; parentheses group.

**Missing attributes.** A condition (a comparison or a list test) is true only when the attribute
is present (not absent, not null) AND holds a value of the same kind as the literal; otherwise it
is false. So for a recipient without a grade, ``grade >= 5``, ``grade < 5`` and ``grade != 5``
are all false, and ``not (grade >= 5)`` is true. A grade stored as text ("5") is not the number 5.
Logic is two-valued: there is no "unknown".

One evaluator (:func:`evaluate`) decides for one recipient everywhere (API, console, issuance);
:func:`compile_sql` turns the same rule into a SQL condition with the same meaning, so a preview
over all recipients is counted inside the database. Property tests hold the two to agreement.
"""

from backend.catalog.eligibility.errors import RuleError
from backend.catalog.eligibility.evaluator import RECIPIENT_COLUMNS, evaluate, recipient_attributes
from backend.catalog.eligibility.parser import parse
from backend.catalog.eligibility.sql import SqlCondition, compile_sql
from backend.catalog.eligibility.syntax import And, Comparison, Literal, Membership, Not, Or, Rule, attributes, to_text

__all__ = [
    "RECIPIENT_COLUMNS",
    "And",
    "Comparison",
    "Literal",
    "Membership",
    "Not",
    "Or",
    "Rule",
    "RuleError",
    "SqlCondition",
    "attributes",
    "canonical",
    "compile_sql",
    "evaluate",
    "parse",
    "recipient_attributes",
    "to_text",
]


def canonical(text: str) -> str:
    """The rule as the printer writes it ('' for an empty rule); raises RuleError."""
    rule = parse(text)
    return "" if rule is None else to_text(rule)
