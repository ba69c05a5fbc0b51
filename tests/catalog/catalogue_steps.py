"""Steps the catalogue tests share: an offer's details, a stock file, a partner taken to live."""

from __future__ import annotations

import io
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "partners"))  # the partner steps

from onboarding_steps import make_admin, profile, role_actor, work_stage

from backend.catalog.services import offers, stock_import, uat
from backend.catalog.services.offer_rules import OfferInput
from backend.core.authz import Actor
from backend.partners import checklist
from backend.partners.services import go_live, profiles

__all__ = ["TERMS", "make_admin", "offer_input", "onboard_to_live", "profile", "role_actor", "stock_file"]

TERMS = "Valid at all outlets in India. Not exchangeable for cash."


def offer_input(**overrides) -> OfferInput:
    values = {
        "title": "Chai Point e-voucher",
        "country": "IN",
        "currency": "INR",
        "category": "Dining",
        "denominations": [50000, 100000],
        "expiry_days": 365,
        "description": "Tea and snacks",
        "image_url": "https://cdn.example.com/chai.png",
        "category_restrictions": ["Alcohol"],
    }
    return OfferInput(**(values | overrides))


def stock_file(
    *rows: str, header: str = "code,pin,denomination,expiry", bom: bool = False, encoding: str = "utf-8"
) -> io.BytesIO:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))


async def onboard_to_live(maker: Actor, checker: Actor | None, name: str = "Chai Point", codes: int = 5):
    """A client-sourced partner from profile to live, as a person would take it: each stage worked
    and signed off, an offer with terms and stock, the sandbox UAT run, then maker-checker go-live.
    Without a ``checker`` it stops at the pending request. Returns (partner, offer)."""
    partner = await profiles.create_partner(maker, profile(name=name))
    await work_stage(maker, partner.id, checklist.PROFILING)
    offer = await offers.create_offer(maker, partner.id, offer_input(title=f"{name} e-voucher"), terms=TERMS)
    rows = [f"{name[:3].upper()}-{index:04},{1000 + index},50000," for index in range(codes)]
    await stock_import.import_voucher_codes(maker, offer.id, stock_file(*rows), "stock.csv")
    await work_stage(maker, partner.id, checklist.OFFER_SETUP)
    await work_stage(maker, partner.id, checklist.ELIGIBILITY)
    await uat.run_sandbox_issuance(maker, partner.id, offer.id)
    await work_stage(maker, partner.id, checklist.UAT)
    await work_stage(maker, partner.id, checklist.GO_LIVE)
    await go_live.request_go_live(maker, partner.id)
    if checker is not None:
        partner = await go_live.approve_go_live(checker, partner.id)
    return partner, offer
