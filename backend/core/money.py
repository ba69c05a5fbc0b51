"""Money in minor units: a currency's ISO 4217 exponent, amounts to and from minor units, how an
amount reads ("₹1,500.00") and how typed amounts are read back ("1,500.50", "₹500").

People see money one way (DESIGN.md rule 10): every page, message, toast, error and export formats
an amount with ``format_money`` and reads one with ``parse_amount``; minor units appear only in the
API's documented integer fields and in upload columns that say so (``amount_minor``).

The exponents come from the ``iso4217`` package (ISO's own list). The symbols and the layout come
from Babel (CLDR), by locale; but not CLDR's display digits: they differ from ISO 4217 for some
currencies (IQD 0 instead of 3, AFN 0 instead of 2, …), and shown amounts must match the stored
minor units, so the number of decimals is always ISO's.
"""

from __future__ import annotations

import copy
import functools
import re
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from iso4217 import Currency

from backend.core import iso_codes
from backend.core.errors import DomainError

AMOUNT_INVALID = "AMOUNT_INVALID"
_PLAIN_AMOUNT = re.compile(r"[+-]?\d+(?:\.\d+)?")
# A comma inside an amount only between groups of three digits: 1,000 or 12,500,000.50.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _code_and_exponent(currency: str | None, field: str = "currency") -> tuple[str, int]:
    code = iso_codes.currency_code(currency, field)
    exponent = Currency(code).exponent
    if exponent is None:
        raise DomainError.single(
            "INVALID_CURRENCY", f"{code} has no minor unit in ISO 4217: amounts cannot be kept in it", field=field
        )
    return code, exponent


def minor_unit_exponent(currency: str) -> int:
    """INR → 2, JPY → 0, KWD → 3. INVALID_CURRENCY for an unknown code, or one that ISO 4217 gives
    no minor unit (gold, special drawing rights: not a currency an amount is kept in)."""
    return _code_and_exponent(currency)[1]


def currency(value: str | None, field: str = "currency") -> str:
    """' inr' → 'INR': the code of a currency amounts can be kept in. Every offer, campaign and
    programme takes its currency through here, so money shown later never meets a code without
    minor units. REQUIRED when empty; INVALID_CURRENCY for an unknown code or XAU, XDR and the like."""
    return _code_and_exponent(value, field)[0]


def has_minor_unit(code: str) -> bool:
    """For choice lists: False for ISO 4217 codes that ``currency`` refuses (XAU, XDR, …)."""
    return Currency(code).exponent is not None


def to_minor(amount: Decimal | str, currency: str, field: str = "amount") -> int:
    """ "500" or Decimal("500.25") in INR → 50025. AMOUNT_INVALID (on ``field``) for text that is not
    a plain decimal number, or for more decimals than the currency has ("500.255" INR, "500.5" JPY)."""
    code, exponent = _code_and_exponent(currency)
    if isinstance(amount, str):
        text = amount.strip()
        if not _PLAIN_AMOUNT.fullmatch(text):
            raise DomainError.single(AMOUNT_INVALID, f"“{text}” is not an amount (e.g. 500 or 500.25)", field=field)
        value = Decimal(text)
    elif isinstance(amount, Decimal):
        if not amount.is_finite():
            raise DomainError.single(AMOUNT_INVALID, f"{amount} is not an amount", field=field)
        value = amount
    else:  # a float is never exact enough for money
        raise TypeError(f"an amount is a Decimal or text, not {type(amount).__name__}")
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        too_many = (
            f"{value} has decimals, but {code} has no minor unit"
            if exponent == 0
            else f"{value} has more than {exponent} decimal{'s' if exponent != 1 else ''} for {code}"
        )
        raise DomainError.single(AMOUNT_INVALID, too_many, field=field)
    return int(minor)


def nearest_minor(amount: Decimal, currency: str) -> int:
    """A computed amount (points × the value of one point) to the nearest minor unit, halves away
    from zero: Decimal("212.505") INR → 21251, Decimal("7.5") JPY → 8. Unlike ``to_minor``, for
    amounts nobody typed, where extra decimals are expected rather than a mistake."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError(f"a computed amount is a finite Decimal, not {amount!r}")
    return int(amount.scaleb(minor_unit_exponent(currency)).to_integral_value(ROUND_HALF_UP))


def from_minor(minor: int, currency: str) -> Decimal:
    """50025 INR → Decimal("500.25"); always with the currency's number of decimals."""
    return Decimal(minor).scaleb(-minor_unit_exponent(currency))


@functools.lru_cache(maxsize=64)
def _pattern(locale: str, exponent: int) -> tuple[Locale, NumberPattern]:
    """The locale's currency pattern with exactly the ISO exponent's decimals (made once)."""
    parsed = Locale.parse(locale)
    pattern = copy.copy(parse_pattern(parsed.currency_formats["standard"]))
    pattern.frac_prec = (exponent, exponent)
    return parsed, pattern


def format_money(amount_minor: int, currency: str, locale: str = "en") -> str:
    """How people read an amount: 50000 INR → "₹500.00", 2500 EUR → "€25.00", 1500000 JPY →
    "¥1,500,000", 1500 KWD → "KWD 1.500" (the locale's symbol and grouping, ISO's decimals)."""
    code, exponent = _code_and_exponent(currency)
    parsed, pattern = _pattern(locale, exponent)
    text = pattern.apply(Decimal(amount_minor).scaleb(-exponent), parsed, currency=code, currency_digits=False)
    # CLDR's currency spacing, which Babel leaves out: a code written as the symbol is kept apart
    # from the digits ("KWD 1.500", not "KWD1.500").
    return re.sub(rf"(?<={code})(?=[\d-])|(?<=\d)(?={code})", "\u00a0", text)


def format_value(value: int, currency: str | None, locale: str = "en") -> str:
    """A reward's or a campaign's value: money in its currency ("₹500.00"), or points when it has
    none ("1,500 points")."""
    return format_money(value, currency, locale) if currency else f"{value:,} points"


def format_amount(amount_minor: int, currency: str) -> str:
    """The amount as a person types it back, without symbol or grouping: 50000 INR → "500.00",
    50000 JPY → "50000" (what an upload's ``amount`` column and the console's amount fields take)."""
    _code, exponent = _code_and_exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"


def parse_amount(text: str, currency: str, field: str = "amount") -> int:
    """What a person typed, in the currency's units, → minor units: "500", "500.00", "1,000.50",
    "₹500", "500 INR" (the currency's own symbol or code may stand around it). AMOUNT_INVALID (on
    ``field``) naming the text otherwise: a comma inside an amount only separates thousands."""
    code, _exponent = _code_and_exponent(currency)
    amount = (text or "").strip()
    for mark in (code, _symbol(code)):
        if mark and amount.upper().startswith(mark.upper()):
            amount = amount[len(mark) :].strip()
        elif mark and amount.upper().endswith(mark.upper()):
            amount = amount[: -len(mark)].strip()
    if "," in amount:
        if not _GROUPED.fullmatch(amount):
            raise DomainError.single(
                AMOUNT_INVALID,
                f"“{amount}” is ambiguous: a comma inside an amount separates thousands (1,000)",
                field=field,
            )
        amount = amount.replace(",", "")
    return to_minor(amount, code, field)


@functools.lru_cache(maxsize=256)
def _symbol(code: str) -> str:
    from babel.numbers import get_currency_symbol

    symbol = get_currency_symbol(code, "en")
    return "" if symbol == code else symbol
