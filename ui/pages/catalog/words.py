"""How partners and offers read on screen: labels and badge colours for statuses, sources, stages
and reward types, and an offer's denominations and expiry in words."""

from __future__ import annotations

import pycountry

from backend.catalog.views import DRAFT, FIXED, LIVE, PAUSED, RETIRED, Denominations, ExpiryRule
from backend.core.money import format_money, has_minor_unit
from backend.partners import checklist
from backend.partners.views import LOCKED, OFFBOARDED, ONBOARDING, OPEN, SIGNED_OFF
from ui.components.display import EMPTY

PARTNER_STATUSES = {ONBOARDING: "Onboarding", LIVE: "Live", PAUSED: "Paused", OFFBOARDED: "Offboarded"}
PARTNER_STATUS_COLOURS = {ONBOARDING: "secondary", LIVE: "positive", PAUSED: "orange-8", OFFBOARDED: "grey-7"}
SOURCES = {"client_sourced": "Client-sourced", "network": "Network"}
REWARD_TYPES = {
    "gift_card": "Gift card",
    "experience": "Experience",
    "merchandise": "Merchandise",
    "prepaid_wallet": "Prepaid wallet",
    "voucher": "Voucher",
}
STAGES = {stage.key: stage.label for stage in checklist.STAGES}
STAGE_STATES = {LOCKED: "Locked", OPEN: "In progress", SIGNED_OFF: "Signed off"}
STAGE_STATE_COLOURS = {LOCKED: "grey-6", OPEN: "primary", SIGNED_OFF: "positive"}
OFFER_STATUSES = {DRAFT: "Draft", LIVE: "Live", PAUSED: "Paused", RETIRED: "Retired"}
OFFER_STATUS_COLOURS = {DRAFT: "blue-grey-6", LIVE: "positive", PAUSED: "orange-8", RETIRED: "grey-7"}
CODE_STATUSES = {"available": "Available", "allocated": "Allocated", "confirmed": "Confirmed", "voided": "Voided"}


def denominations(offer_denominations: Denominations, currency: str) -> str:
    if offer_denominations.kind == FIXED:
        return ", ".join(format_money(amount, currency) for amount in offer_denominations.amounts)
    return (
        f"{format_money(offer_denominations.minimum, currency)} to {format_money(offer_denominations.maximum, currency)}, "
        f"in steps of {format_money(offer_denominations.step, currency)}"
    )


def expiry(rule: ExpiryRule) -> str:
    if rule.days is not None:
        return f"{rule.days:,} days after issue"
    return f"on {rule.on.isoformat()}" if rule.on else EMPTY


def country_options() -> dict[str, str]:
    return {
        country.alpha_2: f"{country.name} ({country.alpha_2})" for country in sorted(pycountry.countries, key=lambda c: c.name)
    }


def currency_options() -> dict[str, str]:
    """The currencies an offer, a campaign or a programme can be in: not XAU, XDR and others without minor units."""
    return {
        currency.alpha_3: f"{currency.alpha_3} · {currency.name}"
        for currency in sorted(pycountry.currencies, key=lambda c: c.alpha_3)
        if has_minor_unit(currency.alpha_3)
    }


def stage_label(stage_key: str | None) -> str:
    return STAGES.get(stage_key, "All stages signed off") if stage_key else "All stages signed off"


def category_words(category: str | None) -> str:
    """A partner's or offer's category as people read it: stored lower case ("fast_food", "dining"),
    shown as words ("Fast food", "Dining")."""
    words = " ".join((category or "").replace("_", " ").split())
    return words[:1].upper() + words[1:] if words else "(none)"
