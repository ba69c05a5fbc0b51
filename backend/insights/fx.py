"""Daily exchange rates: spend in any currency is converted to the programme's currency at the
latest rate on or before the event's day. A missing rate is an error (FX_RATE_MISSING), never 0."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from backend.core import audit, money, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id

FX_RATE_MISSING, FX_RATE_INVALID = "FX_RATE_MISSING", "FX_RATE_INVALID"


@dataclass(frozen=True)
class FxRateView:
    day: date
    base: str
    quote: str
    rate: Decimal


def _rate(value: Decimal | str) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        rate = Decimal(0)
    if not rate.is_finite() or rate <= 0:
        raise DomainError.single(FX_RATE_INVALID, f"a rate is a positive decimal, not {value!r}", "rate")
    return rate


async def set_rate(actor: Actor, day: date, base: str, quote: str, rate: Decimal | str, note: str = "") -> FxRateView:
    """Record (or correct) the rate of ``base`` in ``quote`` on ``day``; audited."""
    actor.require(Permission.PROGRAMMES_WRITE)
    base, quote = money.currency(base, "base"), money.currency(quote, "quote")
    value = _rate(rate)
    async with write_transaction():
        await sql.fetch(
            "INSERT INTO fx_rates (id, day, base, quote, rate, recorded_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (base, quote, day) DO UPDATE SET rate = excluded.rate, recorded_at = excluded.recorded_at, "
            "note = excluded.note",
            new_id(),
            day,
            base,
            quote,
            str(value),
            utcnow(),
            note,
        )
        await audit.record(
            actor,
            "fx_rate.set",
            "fx_rate",
            f"{base}/{quote}/{day.isoformat()}",
            after={"day": day.isoformat(), "pair": f"{base}/{quote}", "rate": str(value)},
        )
    return FxRateView(day=day, base=base, quote=quote, rate=value)


async def rate_on(day: date, base: str, quote: str) -> Decimal:
    """The latest rate of ``base`` in ``quote`` on or before ``day``; 1 for the same currency."""
    if base == quote:
        return Decimal(1)
    row = await sql.fetchrow(
        "SELECT rate FROM fx_rates WHERE base = $1 AND quote = $2 AND day <= $3 ORDER BY day DESC LIMIT 1", base, quote, day
    )
    if row is None:
        raise DomainError.single(FX_RATE_MISSING, f"no {base}/{quote} rate on or before {day.isoformat()}", "currency")
    return Decimal(row["rate"])


async def convert(value_minor: int, currency: str, day: date, programme_currency: str) -> int:
    """``value_minor`` of ``currency`` in minor units of ``programme_currency`` at ``day``'s rate."""
    if currency == programme_currency:
        return value_minor
    return converted(value_minor, currency, await rate_on(day, currency, programme_currency), programme_currency)


def converted(value_minor: int, currency: str, rate: Decimal, programme_currency: str) -> int:
    """``value_minor`` of ``currency`` at ``rate`` (from :func:`rate_on`), in minor units of ``programme_currency``."""
    if currency == programme_currency:
        return value_minor
    return money.nearest_minor(money.from_minor(value_minor, currency) * rate, programme_currency)
