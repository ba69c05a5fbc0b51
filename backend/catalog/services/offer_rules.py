"""The rules of an offer's details: every problem at once, as column values when they hold.

Denominations are a fixed list or a range with a step (minor units); expiry is days after issue or
a fixed date; the eligibility rule is kept in canonical form; labels are lower-case."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from backend.catalog import eligibility
from backend.catalog.services import offer_codes
from backend.catalog.views import (
    DAYS_AFTER_ISSUE,
    FIXED,
    FIXED_DATE,
    RANGE,
    Denominations,
)
from backend.core import money
from backend.core.clock import utcnow
from backend.core.errors import DomainError, FieldError
from backend.core.iso_codes import country_code
from backend.core.text import text_error

MAX_DENOMINATIONS = 50
MAX_AMOUNT = 10**12  # minor units; far above any reward, far below integer limits
MAX_EXPIRY_DAYS = 3650
MAX_TERMS = 50_000
_LABEL = re.compile(r"^[a-z0-9][a-z0-9 _&/-]{0,59}$")


@dataclass(frozen=True)
class DenominationRange:
    minimum: int
    maximum: int
    step: int


@dataclass
class OfferInput:
    """Exactly one of ``denominations`` / ``denomination_range`` and one of ``expiry_days`` / ``expiry_date``."""

    title: str
    country: str
    currency: str
    category: str
    denominations: list[int] | None = None
    denomination_range: DenominationRange | None = None
    expiry_days: int | None = None
    expiry_date: date | None = None
    description: str = ""
    image_url: str = ""
    category_restrictions: list[str] = field(default_factory=list)
    eligibility_rule: str = ""
    low_stock_threshold: int = 0
    code: str = ""  # the offer's human code (offer_codes); empty: made from partner, country and amount, or kept


def _is_amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _denominations(data: OfferInput, errors: list[FieldError]) -> Denominations | None:
    if (data.denominations is None) == (data.denomination_range is None):
        errors.append(
            FieldError(
                "denominations",
                "DENOMINATIONS_REQUIRED",
                "give either a fixed list of denominations or a min/max range with a step",
            )
        )
        return None
    if data.denominations is not None:
        amounts = list(data.denominations)
        if not amounts or len(amounts) > MAX_DENOMINATIONS:
            errors.append(FieldError("denominations", "INVALID_DENOMINATIONS", f"give 1 to {MAX_DENOMINATIONS} denominations"))
        elif not all(_is_amount(a) and 0 < a <= MAX_AMOUNT for a in amounts):
            errors.append(
                FieldError(
                    "denominations",
                    "INVALID_DENOMINATIONS",
                    "denominations are positive whole numbers of minor units (e.g. 50000 for 500.00)",
                )
            )
        elif len(set(amounts)) != len(amounts):
            errors.append(FieldError("denominations", "DUPLICATE_DENOMINATION", "each denomination once"))
        else:
            return Denominations(kind=FIXED, amounts=tuple(sorted(amounts)))
        return None
    span = data.denomination_range
    if not all(_is_amount(v) for v in (span.minimum, span.maximum, span.step)):
        errors.append(
            FieldError("denomination_range", "INVALID_RANGE", "minimum, maximum and step are whole numbers of minor units")
        )
    elif not (0 < span.minimum <= span.maximum <= MAX_AMOUNT) or span.step <= 0:
        errors.append(FieldError("denomination_range", "INVALID_RANGE", "expected 0 < minimum ≤ maximum and a positive step"))
    elif (span.maximum - span.minimum) % span.step:
        errors.append(
            FieldError(
                "denomination_range",
                "INVALID_RANGE",
                f"maximum {span.maximum} is not reached from {span.minimum} in steps of {span.step}",
            )
        )
    else:
        return Denominations(kind=RANGE, minimum=span.minimum, maximum=span.maximum, step=span.step)
    return None


def _expiry(data: OfferInput, errors: list[FieldError]) -> dict:
    if (data.expiry_days is None) == (data.expiry_date is None):
        errors.append(FieldError("expiry", "EXPIRY_REQUIRED", "give either a number of days after issue or a fixed expiry date"))
        return {}
    if data.expiry_days is not None:
        if not _is_amount(data.expiry_days) or not 1 <= data.expiry_days <= MAX_EXPIRY_DAYS:
            errors.append(FieldError("expiry_days", "INVALID_EXPIRY", f"days after issue: 1 to {MAX_EXPIRY_DAYS}"))
            return {}
        return {"expiry_kind": DAYS_AFTER_ISSUE, "expiry_days": data.expiry_days, "expiry_date": None}
    if not isinstance(data.expiry_date, date) or data.expiry_date <= utcnow().date():
        errors.append(FieldError("expiry_date", "EXPIRY_IN_PAST", "a fixed expiry date must be a date after today"))
        return {}
    return {"expiry_kind": FIXED_DATE, "expiry_days": None, "expiry_date": data.expiry_date}


def image_url(value: str) -> str:
    """An https URL with a host, or empty. Raises INVALID_IMAGE_URL."""
    text = (value or "").strip()
    if not text:
        return ""
    problem = None
    if len(text) > 2000:
        problem = "is longer than 2000 characters"
    elif any(char.isspace() or ord(char) < 32 for char in text):
        problem = "contains spaces or control characters"
    else:
        try:
            parts = urlsplit(text)
            if parts.scheme.lower() != "https":
                problem = "must start with https://"
            elif not parts.hostname or "." not in parts.hostname.strip("."):
                problem = "has no host name"
            elif parts.username or parts.password:
                problem = "must not carry credentials"
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            problem = "is not a URL"
    if problem:
        raise DomainError.single("INVALID_IMAGE_URL", f"the image URL {problem}", field="image_url")
    return text


def _labels(values: list[str], field_name: str, errors: list[FieldError]) -> list[str]:
    labels = sorted({" ".join((value or "").split()).lower() for value in values or []} - {""})
    bad = [label for label in labels if not _LABEL.match(label)]
    if bad:
        errors.append(
            FieldError(field_name, "INVALID_LABEL", f"labels are up to 60 letters, digits, spaces or _&/-: {', '.join(bad)}")
        )
    if len(labels) > 50:
        errors.append(FieldError(field_name, "TOO_MANY", "at most 50 labels"))
    return labels


def validate_offer(data: OfferInput) -> dict:
    """Every problem at once; returns the column values."""
    errors: list[FieldError] = [
        error
        for error in (
            *(
                text_error(name, getattr(data, name))
                for name in ("title", "code", "category", "country", "currency", "image_url")
            ),
            text_error("description", data.description, multiline=True),
            *(text_error("category_restrictions", value) for value in data.category_restrictions or []),
            text_error("eligibility_rule", data.eligibility_rule, multiline=True),
        )
        if error
    ]
    if errors:  # values no other rule can read
        raise DomainError(errors)

    def check(fn, *args):
        try:
            return fn(*args)
        except DomainError as error:
            errors.extend(error.errors)
            return None

    title = " ".join((data.title or "").split())
    if not title:
        errors.append(FieldError("title", "REQUIRED", "an offer needs a title"))
    elif len(title) > 200:
        errors.append(FieldError("title", "TOO_LONG", "a title is at most 200 characters"))
    description = (data.description or "").strip()
    if len(description) > 10_000:
        errors.append(FieldError("description", "TOO_LONG", "a description is at most 10,000 characters"))
    category = " ".join((data.category or "").split()).lower()
    if not category:
        errors.append(FieldError("category", "REQUIRED", "a category is required, e.g. dining, travel"))
    elif not _LABEL.match(category):
        errors.append(FieldError("category", "INVALID_LABEL", "a category is up to 60 letters, digits, spaces or _&/-"))
    country = check(country_code, data.country)
    currency = check(money.currency, data.currency)
    denominations = _denominations(data, errors)
    expiry = _expiry(data, errors)
    url = check(image_url, data.image_url)
    restrictions = _labels(data.category_restrictions, "category_restrictions", errors)
    rule = check(eligibility.canonical, data.eligibility_rule)
    code = check(offer_codes.normalised, data.code) if (data.code or "").strip() else ""
    threshold = data.low_stock_threshold
    if not _is_amount(threshold) or not 0 <= threshold <= 1_000_000:
        errors.append(FieldError("low_stock_threshold", "INVALID_THRESHOLD", "a whole number from 0 (no alert) to 1,000,000"))
    if errors:
        raise DomainError(errors)
    return {
        "title": title,
        "description": description,
        "image_url": url,
        "country": country,
        "currency": currency,
        "category": category,
        "category_restrictions": restrictions,
        "denomination_kind": denominations.kind,
        "denominations": list(denominations.amounts),
        "min_amount": denominations.minimum,
        "max_amount": denominations.maximum,
        "amount_step": denominations.step,
        **expiry,
        "eligibility_rule": rule,
        "low_stock_threshold": threshold,
        "code": code,
    }
