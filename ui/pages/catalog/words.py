"""How partners and offers read on screen: labels and badge colours for statuses, sources, stages
and reward types, and amounts in minor units written as money."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pycountry

from backend.catalog.views import DRAFT, FIXED, LIVE, PAUSED, RETIRED, Denominations, ExpiryRule
from backend.partners import checklist
from backend.partners.views import LOCKED, OFFBOARDED, ONBOARDING, OPEN, SIGNED_OFF
from ui.components.display import EMPTY

PARTNER_STATUSES = {ONBOARDING: "Onboarding", LIVE: "Live", PAUSED: "Paused", OFFBOARDED: "Offboarded"}
PARTNER_STATUS_COLOURS = {ONBOARDING: "secondary", LIVE: "positive", PAUSED: "orange-8", OFFBOARDED: "grey-7"}
SOURCES = {"client_sourced": "Client-sourced", "network": "Network"}
REWARD_TYPES = {"gift_card": "Gift card", "experience": "Experience", "merchandise": "Merchandise",
                "prepaid_wallet": "Prepaid wallet", "voucher": "Voucher"}
STAGES = {stage.key: stage.label for stage in checklist.STAGES}
STAGE_STATES = {LOCKED: "Locked", OPEN: "In progress", SIGNED_OFF: "Signed off"}
STAGE_STATE_COLOURS = {LOCKED: "grey-6", OPEN: "primary", SIGNED_OFF: "positive"}
OFFER_STATUSES = {DRAFT: "Draft", LIVE: "Live", PAUSED: "Paused", RETIRED: "Retired"}
OFFER_STATUS_COLOURS = {DRAFT: "blue-grey-6", LIVE: "positive", PAUSED: "orange-8", RETIRED: "grey-7"}
CODE_STATUSES = {"available": "Available", "allocated": "Allocated", "confirmed": "Confirmed"}

# ISO 4217 minor-unit digits, where they are not the usual two (amounts are stored in minor units).
_MINOR_DIGITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get((currency or "").upper(), 2)


def money(minor: int, currency: str) -> str:
    """50000 INR → "500.00 INR"."""
    digits = minor_digits(currency)
    return f"{Decimal(minor).scaleb(-digits):,.{digits}f} {currency}"


def to_minor(text: str, currency: str) -> int:
    """ "500" or "1,000.50" in the currency's units → minor units. ValueError with a reason."""
    cleaned = (text or "").replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"“{text.strip()}” is not an amount") from None
    digits = minor_digits(currency)
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{text.strip()} has more than {digits} decimal{'s' if digits != 1 else ''} for {currency or 'this currency'}")
    return int(minor)


def major(minor: int | None, currency: str) -> str:
    """Minor units back to what a person types: 50000 INR → "500"."""
    if minor is None:
        return ""
    value = Decimal(minor).scaleb(-minor_digits(currency))
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def denominations(offer_denominations: Denominations, currency: str) -> str:
    if offer_denominations.kind == FIXED:
        return ", ".join(money(amount, currency) for amount in offer_denominations.amounts)
    return (f"{money(offer_denominations.minimum, currency)} to {money(offer_denominations.maximum, currency)}, "
            f"in steps of {money(offer_denominations.step, currency)}")


def expiry(rule: ExpiryRule) -> str:
    if rule.days is not None:
        return f"{rule.days:,} days after issue"
    return f"on {rule.on.isoformat()}" if rule.on else EMPTY


def country_options() -> dict[str, str]:
    return {country.alpha_2: f"{country.name} ({country.alpha_2})" for country in sorted(pycountry.countries, key=lambda c: c.name)}


def currency_options() -> dict[str, str]:
    return {currency.alpha_3: f"{currency.alpha_3} · {currency.name}" for currency in sorted(pycountry.currencies, key=lambda c: c.alpha_3)}


def stage_label(stage_key: str | None) -> str:
    return STAGES.get(stage_key, "All stages signed off") if stage_key else "All stages signed off"
