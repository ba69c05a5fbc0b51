"""Email addresses and phone numbers, validated and normalised the same way in every domain."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from backend.core.errors import DomainError


def email_address(value: str, field: str = "email") -> str:
    """A normalised address; raises INVALID_EMAIL."""
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise DomainError.single("INVALID_EMAIL", f"'{value}': {error}", field=field) from None


def phone_number(value: str, country: str | None = None, field: str = "phone") -> str:
    """E.164 (+919812345678); a number without '+' is read in ``country``. Raises INVALID_PHONE."""
    try:
        number = phonenumbers.parse((value or "").strip(), country)
    except phonenumbers.NumberParseException as error:
        raise DomainError.single("INVALID_PHONE", f"'{value}' is not a phone number: {error}", field=field) from None
    if not phonenumbers.is_valid_number(number):
        hint = "" if country else " (add the country code, e.g. +91…)"
        raise DomainError.single("INVALID_PHONE", f"'{value}' is not a valid phone number{hint}", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
