"""Email addresses and phone numbers, validated and normalised the same way in every domain.

``contact_points`` normalises a person's country, email, phone and WhatsApp number together and
collects the problems instead of raising; ``contact_points_batch`` does that for many people. Both
are pure functions of their arguments, so a caller may run the batch in another process (bulk
uploads do: ``backend/rewards/uploads/services/contact_checks.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from backend.core import iso_codes
from backend.core.errors import DomainError, FieldError


def email_address(value: str, field: str = "email") -> str:
    """A normalised address; raises INVALID_EMAIL."""
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise DomainError.single("INVALID_EMAIL", f"'{value}': {error}", field=field) from None


# phonenumbers' own texts ("(0) Missing or invalid default region.") say what the library missed,
# not what the person should do: each parse failure in plain words.
_PARSE_PROBLEMS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: (
        "has no country code: write it with + and the country code (e.g. +91 98450 12345), or give the person's country"
    ),
    phonenumbers.NumberParseException.NOT_A_NUMBER: "is not a phone number: it has no digits to dial",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "is too short after its international prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "is too short to be a phone number",
    phonenumbers.NumberParseException.TOO_LONG: "is too long to be a phone number",
}


def phone_number(value: str, country: str | None = None, field: str = "phone") -> str:
    """E.164 (+919812345678); a number without '+' is read in ``country``. Raises INVALID_PHONE."""
    try:
        number = phonenumbers.parse((value or "").strip(), country)
    except phonenumbers.NumberParseException as error:
        problem = _PARSE_PROBLEMS.get(error.error_type, "is not a phone number")
        raise DomainError.single("INVALID_PHONE", f"'{value}' {problem}", field=field) from None
    if not phonenumbers.is_valid_number(number):
        hint = "" if country else " (add the country code, e.g. +91…)"
        raise DomainError.single("INVALID_PHONE", f"'{value}' is not a valid phone number{hint}", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True, slots=True)
class ContactPoints:
    """A person's contact points, normalised: an empty or bad one is None; ``errors`` holds the
    problems in the order country, email, phone, whatsapp (fields named so)."""

    country: str | None = None
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    errors: tuple[FieldError, ...] = ()


def contact_points(country: str | None, email: str | None, phone: str | None, whatsapp: str | None = None) -> ContactPoints:
    """Normalise a person's contact points together; numbers without '+' are read in the country
    (when that is valid). Blank values are None, not errors."""
    errors: list[FieldError] = []

    def check(normalise, value: str | None, *args):
        if not (value and value.strip()):
            return None
        try:
            return normalise(value, *args)
        except DomainError as error:
            errors.extend(error.errors)
            return None

    country = check(iso_codes.country_code, country, "country")
    return ContactPoints(
        country=country,
        email=check(email_address, email, "email"),
        phone=check(phone_number, phone, country, "phone"),
        whatsapp=check(phone_number, whatsapp, country, "whatsapp"),
        errors=tuple(errors),
    )


def contact_points_batch(people: list[tuple[str | None, str | None, str | None, str | None]]) -> list[ContactPoints]:
    """``contact_points`` of each (country, email, phone, whatsapp), in order. A module-level pure
    function, so a process pool can run it."""
    return [contact_points(*person) for person in people]
