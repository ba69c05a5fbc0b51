"""The columns of a bulk reward upload. Header names are case-insensitive, in any order; spaces and
hyphens count as underscores (``External ID`` is ``external_id``).

==============  =========================================================================================
column          meaning
==============  =========================================================================================
external_id     required: the recipient's id in the client's HR system (at most 100 characters)
full_name       the recipient's name: required when the recipient is not known yet
email           email address (normalised); a new recipient needs the contact of their channel
phone           phone number, E.164 (``+919812345678``) or national in the row's ``country``
country         ISO 3166 code (``IN``, ``DEU``)
offer           offers campaigns: the offer's id (a UUID); must be one of the campaign's offers
denomination    offers campaigns: the value in the offer currency's **minor units**, a whole number
                (``50000`` is ₹500.00); decimals are refused rather than guessed
points          points campaigns, instead of offer and denomination: whole points
channel         ``email``, ``sms`` or ``whatsapp``; empty: the campaign's default
attr:<key>      an HR attribute of a new recipient (``attr:grade`` → ``grade``), used by eligibility
                rules; whole numbers and ``true``/``false`` are read as such, anything else as text
==============  =========================================================================================

A recipient not known yet (by ``external_id``) is created when the upload is approved, never at
staging. An upload never changes a known recipient: its contact and ``attr:`` columns are checked
but not applied, and eligibility is decided on the recipient as stored.
"""

from __future__ import annotations

import re

from backend.core.errors import DomainError

EXTERNAL_ID, FULL_NAME, EMAIL, PHONE, COUNTRY = "external_id", "full_name", "email", "phone", "country"
OFFER, DENOMINATION, POINTS, CHANNEL = "offer", "denomination", "points", "channel"
COLUMNS = (EXTERNAL_ID, FULL_NAME, EMAIL, PHONE, COUNTRY, OFFER, DENOMINATION, POINTS, CHANNEL)
ATTRIBUTE_PREFIX = "attr:"
_SEPARATORS = re.compile(r"[\s\-]+")
EXPECTED = "external_id, full_name, email, phone, country, offer, denomination, points, channel, attr:<key>"


def column_name(cell: str) -> str:
    name = _SEPARATORS.sub("_", cell.strip().lower())
    if name.startswith(ATTRIBUTE_PREFIX):
        return ATTRIBUTE_PREFIX + name[len(ATTRIBUTE_PREFIX) :].strip("_")
    return name


def read_header(cells: list[str]) -> tuple[str, ...]:
    """The header's column names, normalised; WRONG_HEADER says what is missing, unknown or repeated,
    and what is expected."""
    names = [column_name(cell) for cell in cells]
    unknown = [
        cell.strip() or f"(empty, column {index + 1})"
        for index, (cell, name) in enumerate(zip(cells, names))
        if name not in COLUMNS and not (name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX))
    ]
    repeated = sorted({name for name in names if names.count(name) > 1})
    missing = [] if EXTERNAL_ID in names else [EXTERNAL_ID]
    if POINTS not in names:
        missing += [name for name in (OFFER, DENOMINATION) if name not in names]
    problems = [
        f"missing: {', '.join(missing)}" if missing else "",
        f"unknown: {', '.join(unknown[:10])}" if unknown else "",
        f"repeated: {', '.join(repeated)}" if repeated else "",
    ]
    if missing or unknown or repeated:
        raise DomainError.single(
            "WRONG_HEADER",
            "the first row must name the columns (any order, any case): " + EXPECTED + "; external_id and either offer and "
            "denomination or points are required; " + "; ".join(problem for problem in problems if problem),
            field="file",
        )
    return tuple(names)
