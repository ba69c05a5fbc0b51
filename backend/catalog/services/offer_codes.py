"""An offer's human code: ``SHOP-IN-500``, what an upload file, the console and the API name an
offer by beside its UUID.

A code is 2 to 40 upper-case letters, digits, '-', '_' or '.', starting with a letter or digit;
typed codes are trimmed and upper-cased, so ``shop-in-500`` is ``SHOP-IN-500``. Unique over all
offers (a unique index decides; OFFER_CODE_TAKEN). When none is given, one is made from the
partner's name, the offer's country and its denominations in the currency's units (``AMAZON-IN-500``
for ₹500; ``AMAZON-IN-100-5000`` for a range), with ``-2``, ``-3`` … when taken.
"""

from __future__ import annotations

import re
import uuid

from backend.catalog.tables import Offer
from backend.core.errors import DomainError
from backend.core.money import from_minor

MAX_CODE = 40
_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{1,39}")
_NOT_CODE = re.compile(r"[^A-Z0-9]+")
INVALID_CODE, CODE_TAKEN = "INVALID_OFFER_CODE", "OFFER_CODE_TAKEN"


def normalised(text: str | None) -> str:
    """ " shop-in-500 " → "SHOP-IN-500"; INVALID_OFFER_CODE (field ``code``) for anything else."""
    code = (text or "").strip().upper()
    if not _CODE.fullmatch(code):
        raise DomainError.single(
            INVALID_CODE,
            f"“{(text or '').strip()[:50]}” is not an offer code: 2 to {MAX_CODE} letters, digits, '-', '_' or '.' "
            "(e.g. SHOP-IN-500)",
            field="code",
        )
    return code


def _units(amount_minor: int, currency: str) -> str:
    value = from_minor(amount_minor, currency)
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def suggested(partner_name: str, country: str, currency: str, values: dict) -> str:
    """The code made for an offer without one: partner, country, amount(s) in the currency's units."""
    partner = _NOT_CODE.sub("", (partner_name or "").upper().split(" ")[0])[:16]
    if values["denomination_kind"] == "fixed":
        amounts = sorted(values["denominations"])
        amount = _units(amounts[0], currency) + (f"-{_units(amounts[-1], currency)}" if len(amounts) > 1 else "")
    else:
        amount = f"{_units(values['min_amount'], currency)}-{_units(values['max_amount'], currency)}"
    return "-".join(part for part in (partner, country, amount) if part)[:MAX_CODE]


async def free_code(base: str) -> str:
    """``base``, or ``base-2``, ``base-3`` … : the first no offer has."""
    taken = {row["code"] for row in await Offer.select(Offer.code).where(Offer.code.like(base + "%"))}
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: MAX_CODE - len(suffix)] + suffix
    return candidate


async def check_free(code: str, offer_id: uuid.UUID | None = None) -> None:
    """OFFER_CODE_TAKEN when another offer has ``code`` (the unique index decides races)."""
    query = Offer.select(Offer.title).where(Offer.code == code)
    if offer_id is not None:
        query = query.where(Offer.id != offer_id)
    other = await query.first()
    if other is not None:
        raise DomainError.single(CODE_TAKEN, f"the code {code} is taken by '{other['title']}'", field="code")


async def offer_id_by_code(code: str) -> uuid.UUID | None:
    row = await Offer.select(Offer.id).where(Offer.code == (code or "").strip().upper()).first()
    return row["id"] if row else None
