"""The amount column of a file people prepare (a reward upload, a voucher stock file): which column
holds the amount, and what its cell is worth in minor units.

People write amounts in the currency (DESIGN.md rule 10): ``amount`` holds "500" or "500.00" (also
"1,000.50" or "₹500"), read by ``money.parse_amount``. Minor units are taken only under a column
whose name says so: ``amount_minor`` (``50000`` is ₹500.00), or ``denomination``, the name the
files used before amounts were written in the currency (kept so older files still read; minor
units too). A file names exactly one of them.
"""

from __future__ import annotations

import re

from backend.core import money
from backend.core.errors import DomainError

AMOUNT, AMOUNT_MINOR, DENOMINATION = "amount", "amount_minor", "denomination"
COLUMNS = (AMOUNT, AMOUNT_MINOR, DENOMINATION)
MINOR_COLUMNS = (AMOUNT_MINOR, DENOMINATION)
INVALID_AMOUNT = "INVALID_DENOMINATION"  # the code files always used for an amount that cannot be read
_WHOLE_NUMBER = re.compile(r"^[0-9]{1,13}$")


def amount_column(columns: tuple[str, ...] | list[str]) -> str | None:
    """The one amount column among a header's (normalised) names; None when there is none; a
    problem text when there are several ("give one of amount, amount_minor: found both")."""
    found = [name for name in COLUMNS if name in columns]
    if len(found) > 1:
        raise DomainError.single(
            "WRONG_HEADER",
            f"give the amount in one column, amount (in the currency: 500.00) or amount_minor (in minor units: 50000); "
            f"found {', '.join(found)}",
            field="file",
        )
    return found[0] if found else None


def read_amount(text: str, currency: str, column: str) -> int:
    """The cell of ``column`` in minor units. INVALID_DENOMINATION (on ``column``) saying how the
    column is written when the cell cannot be read."""
    text = (text or "").strip()
    if column in MINOR_COLUMNS:
        if not _WHOLE_NUMBER.match(text):
            example = money.to_minor("500", currency)
            raise DomainError.single(
                INVALID_AMOUNT,
                f"{column} '{text[:20]}' is not a whole number of minor units "
                f"(e.g. {example} for {money.format_money(example, currency)}; or use an amount column: 500.00)",
                field=column,
            )
        return int(text)
    try:
        return money.parse_amount(text, currency, field=column)
    except DomainError as error:
        raise DomainError.single(
            INVALID_AMOUNT, f"amount '{text[:20]}' is not an amount in {currency}: {error.errors[0].message}", field=column
        ) from None
