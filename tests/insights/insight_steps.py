"""Steps the insights tests share: a programme with partners, offers and people in segments."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue steps

from catalogue_steps import TERMS, offer_input, profile

from backend.catalog.services import offers
from backend.core.authz import SYSTEM, Actor
from backend.partners.services import profiles
from backend.recipients import services as recipients


@dataclass
class Shop:
    """A programme (INR) with two partners of two offers each, and three people in segments."""

    programme_id: object = None
    partners: list = field(default_factory=list)  # PartnerView
    offers: dict = field(default_factory=dict)  # partner id -> [OfferView, OfferView]
    people: list = field(default_factory=list)  # recipient ids


async def make_shop(admin: Actor) -> Shop:
    shop = Shop()
    shop.programme_id = (await recipients.create_programme(SYSTEM, "Stars", "INR", "0.25")).id
    for name, category in (("Chai Point", "Dining"), ("Book Nook", "Books")):
        partner = await profiles.create_partner(admin, profile(name=name))
        shop.partners.append(partner)
        shop.offers[partner.id] = [
            await offers.create_offer(admin, partner.id, offer_input(title=f"{name} {n}", category=category), terms=TERMS)
            for n in (1, 2)
        ]
    segments = [
        ("IN", {"business_unit": "Retail", "department": "Sales", "grade": 5, "location": "Pune"}),
        ("IN", {"business_unit": "Logistics", "department": "Ops", "grade": 3, "location": "Mumbai"}),
        ("DE", {"business_unit": "Retail", "department": "Sales", "location": "Berlin"}),
    ]
    for index, (country, attributes) in enumerate(segments):
        result = await recipients.upsert_recipient(
            SYSTEM,
            recipients.RecipientInput(
                external_id=f"EMP-{index}", full_name=f"Person {index}", email=f"p{index}@example.com", country=country,
                hr_attributes=attributes,
            ),
        )  # fmt: skip
        shop.people.append(result.recipient.id)
    return shop
