"""The columns of a bulk reward upload. Header names are case-insensitive, in any order; spaces and
hyphens count as underscores (``External ID`` is ``external_id``).

==============  =========================================================================================
column          meaning
==============  =========================================================================================
external_id     required: the recipient's id in the client's HR system (at most 100 characters)
full_name       the recipient's name: required when the recipient is not known yet
email           email address (normalised); a new recipient needs the contact of their channel
phone           phone number, E.164 (``+919812345678``) or national in the row's ``country``
country         ISO 3166: alpha-2 (``IN``), alpha-3 (``IND``) or the English short name (``India``), any
                case; stored as alpha-2. Required when the offer's eligibility rule reads ``country``
offer           offers campaigns: the offer's code (``SHOP-IN-500``, any case) or its id (a UUID); must
                be one of the campaign's offers
amount          offers campaigns: the value in the offer's currency, as people write it: ``500`` or
                ``500.00`` (``1,000.50`` and ``₹500`` read too); more decimals than the currency
                has are refused rather than rounded
amount_minor    instead of amount: the value in the currency's **minor units**, a whole number
                (``50000`` is ₹500.00). ``denomination`` is the same column under the name older
                files used. A file has one of amount, amount_minor, denomination
points          points campaigns, instead of offer and denomination: whole points
channel         ``email``, ``sms`` or ``whatsapp``; empty: the campaign's default
attr:<key>      an HR attribute of a new recipient (``attr:grade`` → ``grade``), used by eligibility
                rules; whole numbers and ``true``/``false`` are read as such, anything else as text
==============  =========================================================================================

Other columns (``notes``, ``department``: what a real export carries) are read past and named in
the review as ignored, unless the campaign has ``strict_upload_columns``: then the file is refused
(WRONG_HEADER). The error report's own columns (``line``, ``column``, ``code``, ``reason``) are
always read past, even then, so a corrected report is uploaded again as it is. Empty header cells after the last column (a spreadsheet's ``,,,``) are not columns.

A recipient not known yet (by ``external_id``) is created when the upload is approved, never at
staging. An upload never changes a known recipient: its contact and ``attr:`` columns are checked
but not applied, and eligibility is decided on the recipient as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend.core import amount_columns
from backend.core.errors import DomainError

EXTERNAL_ID, FULL_NAME, EMAIL, PHONE, COUNTRY = "external_id", "full_name", "email", "phone", "country"
OFFER, POINTS, CHANNEL = "offer", "points", "channel"
AMOUNT, AMOUNT_MINOR, DENOMINATION = amount_columns.AMOUNT, amount_columns.AMOUNT_MINOR, amount_columns.DENOMINATION
AMOUNTS = amount_columns.COLUMNS
COLUMNS = (EXTERNAL_ID, FULL_NAME, EMAIL, PHONE, COUNTRY, OFFER, *AMOUNTS, POINTS, CHANNEL)
# The error report's columns before the row's cells (review.error_report_csv): read past, always.
REPORT_COLUMNS = ("line", "column", "code", "reason")
ATTRIBUTE_PREFIX = "attr:"
_SEPARATORS = re.compile(r"[\s\-]+")
EXPECTED = "external_id, full_name, email, phone, country, offer, amount (or amount_minor), points, channel, attr:<key>"


def column_name(cell: str) -> str:
    name = _SEPARATORS.sub("_", cell.strip().lower())
    if name.startswith(ATTRIBUTE_PREFIX):
        return ATTRIBUTE_PREFIX + name[len(ATTRIBUTE_PREFIX) :].strip("_")
    return name


@dataclass(frozen=True)
class Header:
    """A header line as read: the upload columns and where they are, and the columns ignored."""

    columns: tuple[str, ...]  # normalised names, in file order
    positions: tuple[int, ...]  # each column's index in the line
    ignored: tuple[str, ...]  # the other columns, as written ("(empty, column 4)" for a blank one)
    width: int  # fields in the header line (after empty trailing ones)


def _is_column(name: str) -> bool:
    return name in COLUMNS or (name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX))


def read_header(cells: list[str], *, strict: bool = False) -> Header:
    """The header's upload columns, normalised; WRONG_HEADER says what is missing or repeated (and,
    when ``strict``, unknown), and what is expected. (The parser drops empty trailing cells first.)"""
    names = [column_name(cell) for cell in cells]
    positions = [index for index, name in enumerate(names) if _is_column(name)]
    kept = [names[index] for index in positions]
    unknown = [
        cells[index].strip() or f"(empty, column {index + 1})" for index in range(len(cells)) if not _is_column(names[index])
    ]
    reported = [name for name in unknown if column_name(name) in REPORT_COLUMNS]  # read past even when strict
    strict_unknown = [name for name in unknown if name not in reported]
    repeated = sorted({name for name in kept if kept.count(name) > 1})
    missing = [] if EXTERNAL_ID in kept else [EXTERNAL_ID]
    if POINTS not in kept:
        missing += [OFFER] if OFFER not in kept else []
        missing += [] if any(name in kept for name in AMOUNTS) else ["amount (or amount_minor)"]
    several = [name for name in AMOUNTS if name in kept]
    if len(several) > 1 and not repeated:
        repeated = [" and ".join(several) + " (one amount column)"]
    problems = [
        f"missing: {', '.join(missing)}" if missing else "",
        f"unknown: {', '.join(unknown[:10])}" + (f" (and {len(unknown) - 10:,} more)" if len(unknown) > 10 else "")
        if unknown and (missing or repeated or (strict and strict_unknown))
        else "",
        f"repeated: {', '.join(repeated)}" if repeated else "",
    ]
    if missing or repeated or (strict_unknown and strict):
        raise DomainError.single(
            "WRONG_HEADER",
            "the first row must name the columns (any order, any case): " + EXPECTED + "; external_id and either offer and "
            "amount or points are required"
            + ("; this campaign takes no other columns" if strict and strict_unknown else "")
            + "; "
            + "; ".join(problem for problem in problems if problem),
            field="file",
        )
    return Header(columns=tuple(kept), positions=tuple(positions), ignored=tuple(unknown), width=len(cells))


def ignored_note(ignored: tuple[str, ...] | list[str]) -> str:
    """What the review says of the ignored columns: "2 columns ignored: notes, department"."""
    if not ignored:
        return ""
    return f"{len(ignored)} column{'s' if len(ignored) != 1 else ''} ignored: {', '.join(ignored)}"
