"""The attributes an eligibility rule can read, for the rule editor: the recipient columns a rule
sees (country, preferred_channel, source_system) and every HR attribute some recipient carries.
A rule naming any other attribute matches nobody (a missing attribute fails its condition), which
is almost always a typo: ``unknown_attributes`` names them so the editor can warn."""

from __future__ import annotations

from backend.catalog import eligibility
from backend.core.authz import SYSTEM, Actor, Permission
from backend.recipients import services as recipients


async def known_attributes(actor: Actor) -> list[str]:
    """Sorted names. The HR attribute names are read with the system's right: they are the shape of
    the data, not anyone's data, and a catalogue editor needs them without recipients:read."""
    actor.require(Permission.CATALOG_READ)
    return sorted(set(eligibility.RECIPIENT_COLUMNS) | set(await recipients.attribute_names(SYSTEM)))


def unknown_attributes(rule_text: str, known: list[str]) -> list[str]:
    """The attributes a valid rule reads that no recipient has (sorted); [] for an empty rule."""
    return sorted(eligibility.attributes(eligibility.parse(rule_text)) - set(known))
