"""ISO 3166 countries and ISO 4217 currencies, normalised the same way in every domain."""

from __future__ import annotations

import pycountry

from backend.core.errors import DomainError


def country_code(value: str | None, field: str = "country") -> str:
    """'in', 'IND' → 'IN'. Raises INVALID_COUNTRY (or REQUIRED when empty)."""
    text = (value or "").strip().upper()
    if not text:
        raise DomainError.single("REQUIRED", "a country is required (ISO 3166, e.g. IN, DE, US)", field=field)
    found = pycountry.countries.get(alpha_2=text) if len(text) == 2 else pycountry.countries.get(alpha_3=text)
    if found is None:
        raise DomainError.single("INVALID_COUNTRY", f"'{value}' is not an ISO 3166 country code (e.g. IN, DE, US)", field=field)
    return found.alpha_2


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
