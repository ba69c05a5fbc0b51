"""Amounts as people type them in the console ("1,000.50", a list of denominations) read into minor
units, and minor units written back for editing. The money rules (ISO 4217 exponents, too many
decimals) are backend.core.money's; this module only reads the typing."""

from __future__ import annotations

import re

from backend.core import money
from backend.core.errors import DomainError

# Between amounts: a new line, ';', white space, or a comma that white space (or the end) follows.
_BETWEEN = re.compile(r"[\s;]+|,(?=[\s;]|$)")
_LEADING_ZERO = re.compile(r"[+-]?0\d")
AMOUNTS_HELP = (
    "One amount per line, or separated by ';', spaces or a comma and a space (100, 500). "
    "A comma inside an amount separates thousands: 1,000 is one amount."
)


def to_minor(text: str, currency: str) -> int:
    """ "500", "1,000.50", "₹500" in the currency's units → minor units (``money.parse_amount``).
    ValueError with the reason."""
    try:
        return money.parse_amount(text, currency)
    except DomainError as error:
        message = error.errors[0].message
        if "ambiguous" in message:
            message += "; between amounts put a space after the comma (100, 500)"
        raise ValueError(message) from None


def split_amounts(text: str) -> list[str]:
    """ "100, 500, 1,000" → ["100", "500", "1,000"]; see AMOUNTS_HELP."""
    return [part for part in _BETWEEN.split(text or "") if part]


def read_amounts(text: str, currency: str) -> list[int]:
    """A list of amounts typed in one field (see AMOUNTS_HELP) → minor units, in the order typed.
    ValueError naming every part that cannot be read."""
    problems, amounts = [], []
    for part in split_amounts(text):
        try:
            if _LEADING_ZERO.match(part):  # "1 000": thousands grouped with a space read as two amounts
                raise ValueError(f"“{part}” starts with 0: write each amount without spaces inside (1000 or 1,000)")
            amounts.append(to_minor(part, currency))
        except ValueError as error:
            problems.append(str(error))
    if problems:
        raise ValueError("; ".join(dict.fromkeys(problems)))
    return amounts


def units_hint(currency: str | None) -> str:
    """Under an amount field: "Amounts in INR: 500 is ₹500.00." (2 decimals in INR, 3 in KWD), or a
    general line while no usable currency is chosen."""
    try:
        code = money.currency(currency)
    except DomainError:
        return "Amounts in the currency's units (500 or 500.00)."
    return f"Amounts in {code}: 500 is {money.format_money(money.to_minor('500', code), code)}."


def major(minor: int | None, currency: str) -> str:
    """Minor units back to what a person types: 50000 INR → "500", 50050 INR → "500.50"."""
    if minor is None:
        return ""
    value = money.from_minor(minor, currency)
    return f"{value.normalize():f}" if value == value.to_integral_value() else money.format_amount(minor, currency)
