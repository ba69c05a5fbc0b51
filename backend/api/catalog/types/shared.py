"""What the catalogue's GraphQL types share: money in minor units (``MinorUnits``), never a float; enums over the domain's value lists; ids."""

from __future__ import annotations

from typing import NewType

import strawberry

MAX_MINOR_UNITS = 10**12


def _whole_minor_units(value: object) -> int:
    # JSON has one number type: 500.0 or "500" must not pass for an amount.
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_MINOR_UNITS <= value <= MAX_MINOR_UNITS:
        raise TypeError(f"an amount is a whole number of minor units up to 10^12, not {value!r}")
    return value


# GraphQL's Int stops at 2^31 - 1 (21,474,836.47 in a two-decimal currency): too small for money.
MinorUnits = NewType("MinorUnits", int)
SCALARS = {
    MinorUnits: strawberry.scalar(
        name="MinorUnits",
        serialize=int,
        parse_value=_whole_minor_units,
        description="An amount in the currency's minor units (50000 is 500.00 INR), a whole JSON number up to 10^12.",
    ),
}
