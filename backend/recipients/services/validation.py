"""The rules of a recipient record and of a programme's currency and point value: every problem at once."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from backend.core import contact_points, iso_codes, money
from backend.core.errors import DomainError, FieldError
from backend.core.text import json_text_error, text_error
from backend.recipients.services.views import RecipientInput

CHANNELS = ("email", "sms", "whatsapp")
_HR_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_HR_ATTRIBUTES = 50
MAX_EXTERNAL_ID = 100  # the columns' lengths
MAX_FULL_NAME = 200
MAX_PROGRAMME_NAME = 120


def normalise_country(value: str | None, field_name: str = "country") -> str | None:
    return iso_codes.country_code(value, field_name) if value and value.strip() else None


def normalise_phone(value: str | None, country: str | None, field_name: str) -> str | None:
    """E.164, e.g. +919812345678. A number without '+' is read in the recipient's country."""
    return contact_points.phone_number(value, country, field_name) if value and value.strip() else None


def normalise_email(value: str | None) -> str | None:
    return contact_points.email_address(value) if value and value.strip() else None


def normalise_currency(value: str) -> str:
    return money.currency(value)


def parse_point_value(value: str | Decimal | int) -> int:
    """'0.25' → 250_000 micros. Rejects floats' imprecision by taking text or Decimal only."""
    if value is None or not str(value).strip():
        raise DomainError.single("REQUIRED", "the value of one point is required, e.g. 0.25", field="point_value")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError.single("INVALID_POINT_VALUE", f"'{value}' is not a number", field="point_value") from None
    if not amount.is_finite():
        raise DomainError.single("INVALID_POINT_VALUE", f"'{value}' is not a number", field="point_value")
    micros = amount * 1_000_000
    if amount <= 0 or micros != micros.to_integral_value():
        raise DomainError.single(
            "INVALID_POINT_VALUE", "the value of one point must be positive with at most 6 decimals", field="point_value"
        )
    return int(micros)


def validate_recipient(data: RecipientInput, *, contacts: contact_points.ContactPoints | None = None) -> RecipientInput:
    """Collect every problem at once, so a person fixes a record in one go. ``contacts``: the
    record's country, email, phone and whatsapp already normalised by ``contact_points.contact_points``
    (bulk uploads do that in batches, off the event loop); by default they are normalised here."""
    text_errors = [
        error
        for error in (
            text_error("external_id", data.external_id),
            text_error("full_name", (data.full_name or "").strip(), MAX_FULL_NAME),
            *(text_error(name, getattr(data, name)) for name in ("email", "phone", "whatsapp", "country")),
            text_error("preferred_channel", data.preferred_channel),
            text_error("source_system", data.source_system),
            json_text_error("hr_attributes", data.hr_attributes),
        )
        if error
    ]
    if text_errors:  # values no other rule can read
        raise DomainError(text_errors)
    errors: list[FieldError] = []
    external_id = (data.external_id or "").strip()
    if not external_id:
        errors.append(FieldError("external_id", "REQUIRED", "external id is required"))
    elif len(external_id) > MAX_EXTERNAL_ID:
        errors.append(FieldError("external_id", "TOO_LONG", f"external id is at most {MAX_EXTERNAL_ID} characters"))
    full_name = (data.full_name or "").strip()
    if not full_name:
        errors.append(FieldError("full_name", "REQUIRED", "name is required"))
    if contacts is None:
        contacts = contact_points.contact_points(data.country, data.email, data.phone, data.whatsapp)
    errors.extend(contacts.errors)
    country, email, phone, whatsapp = contacts.country, contacts.email, contacts.phone, contacts.whatsapp
    channel = (data.preferred_channel or "email").strip().lower()
    if channel not in CHANNELS:
        errors.append(FieldError("preferred_channel", "INVALID_CHANNEL", f"expected one of {', '.join(CHANNELS)}"))
    else:
        # WhatsApp goes to the phone unless the person has a separate WhatsApp number.
        contact = {
            "email": email or data.email,
            "sms": phone or data.phone,
            "whatsapp": whatsapp or data.whatsapp or phone or data.phone,
        }[channel]
        if not contact:
            errors.append(
                FieldError(
                    "preferred_channel",
                    "MISSING_CONTACT",
                    f"preferred channel {channel} needs a {'phone number' if channel == 'sms' else channel + ' address' if channel == 'email' else 'WhatsApp number or a phone number'}",
                )
            )
    hr = data.hr_attributes or {}
    if not isinstance(hr, dict):
        errors.append(FieldError("hr_attributes", "INVALID", "HR attributes must be an object of key → value"))
        hr = {}
    elif len(hr) > MAX_HR_ATTRIBUTES:
        errors.append(FieldError("hr_attributes", "TOO_MANY", f"at most {MAX_HR_ATTRIBUTES} HR attributes"))
    bad_keys = [key for key in hr if not _HR_KEY.match(str(key))]
    if bad_keys:
        errors.append(
            FieldError("hr_attributes", "INVALID_KEY", f"keys must be lower_snake_case: {', '.join(map(str, bad_keys))}")
        )
    bad_values = [key for key, value in hr.items() if not isinstance(value, (str, int, bool)) or isinstance(value, float)]
    if bad_values:
        errors.append(
            FieldError(
                "hr_attributes",
                "INVALID_VALUE",
                f"values must be text, whole numbers or booleans: {', '.join(map(str, bad_values))}",
            )
        )
    if errors:
        raise DomainError(errors)
    return RecipientInput(
        external_id=external_id,
        full_name=full_name,
        email=email,
        phone=phone,
        whatsapp=whatsapp,
        country=country,
        preferred_channel=channel,
        hr_attributes=dict(hr),
        source_system=(data.source_system or "manual").strip()[:50] or "manual",
    )
