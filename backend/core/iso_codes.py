"""ISO 3166 countries and ISO 4217 currencies, normalised the same way in every domain."""

from __future__ import annotations

import functools

import pycountry

from backend.core.errors import DomainError


def country_code(value: str | None, field: str = "country") -> str:
    """A country as ISO 3166 alpha-2: accepts alpha-2 (``in``), alpha-3 (``IND``) and the English
    short, common or official name (``India``, ``South Korea``, ``Republic of India``), any case.
    Raises INVALID_COUNTRY (or REQUIRED when empty)."""
    text = (value or "").strip()
    if not text:
        raise DomainError.single("REQUIRED", "a country is required (ISO 3166, e.g. IN, DE, US)", field=field)
    found = _countries().get(text.casefold())
    if found is None:
        raise DomainError.single(
            "INVALID_COUNTRY",
            f"'{value}' is not an ISO 3166 country: give its code (IN, IND) or English name (India)",
            field=field,
        )
    return found


@functools.cache
def _countries() -> dict[str, str]:
    """Every accepted spelling, case-folded → alpha-2 (codes win over a name spelt the same)."""
    spellings: dict[str, str] = {}
    for country in pycountry.countries:
        for name in ("official_name", "common_name", "name"):
            if getattr(country, name, None):
                spellings[getattr(country, name).casefold()] = country.alpha_2
    for country in pycountry.countries:
        spellings[country.alpha_3.casefold()] = country.alpha_2
        spellings[country.alpha_2.casefold()] = country.alpha_2
    return spellings


def currency_code(value: str | None, field: str = "currency") -> str:
    """'eur' → 'EUR'. Raises INVALID_CURRENCY (or REQUIRED when empty). Any ISO 4217 code, XAU
    included: a currency that amounts are kept in is validated by ``backend.core.money.currency``."""
    text = (value or "").strip().upper()
    if not text:
        raise DomainError.single("REQUIRED", "a currency is required (ISO 4217, e.g. INR, EUR, USD)", field=field)
    found = pycountry.currencies.get(alpha_3=text)
    if found is None:
        raise DomainError.single(
            "INVALID_CURRENCY", f"'{value}' is not an ISO 4217 currency code (e.g. INR, EUR, USD)", field=field
        )
    return found.alpha_3
