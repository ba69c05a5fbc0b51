"""Refreshing a listing: a new creative (title, description, image) and/or a new terms version,
in one transaction, through the catalogue's own use cases (``offers.update_offer`` validates and
audits the creative, ``terms.revise_terms`` adds the version)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.catalog.services import offers, terms
from backend.catalog.services.offer_rows import load_offer
from backend.catalog.services.offer_rules import DenominationRange, OfferInput
from backend.catalog.views import FIXED, OfferView, TermsVersionView
from backend.core.authz import Actor, Permission
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.core.text import text_error


@dataclass(frozen=True)
class Refreshed:
    before: OfferView
    offer: OfferView
    terms: TermsVersionView | None  # the new current version, when terms were given


def _input_of(offer: OfferView, title: str | None, description: str | None, image_url: str | None) -> OfferInput:
    """The offer's details as an update takes them, with the creative changed."""
    denominations = offer.denominations
    return OfferInput(
        title=offer.title if title is None else title,
        description=offer.description if description is None else description,
        image_url=offer.image_url if image_url is None else image_url,
        country=offer.country,
        currency=offer.currency,
        category=offer.category,
        denominations=list(denominations.amounts) if denominations.kind == FIXED else None,
        denomination_range=None
        if denominations.kind == FIXED
        else DenominationRange(denominations.minimum, denominations.maximum, denominations.step),
        expiry_days=offer.expiry.days,
        expiry_date=offer.expiry.on,
        category_restrictions=list(offer.category_restrictions),
        eligibility_rule=offer.eligibility_rule,
        low_stock_threshold=offer.low_stock_threshold,
        code=offer.code,
    )


async def refresh_listing(
    actor: Actor,
    offer_id: uuid.UUID,
    *,
    title: str | None = None,
    description: str | None = None,
    image_url: str | None = None,
    terms_body: str | None = None,
) -> Refreshed:
    """Change what recipients see of the offer. NOTHING_TO_CHANGE when nothing is given."""
    actor.require(Permission.CATALOG_WRITE)
    errors = [
        error
        for error in (
            text_error("title", title),
            text_error("description", description, multiline=True),
            text_error("image_url", image_url),
            text_error("terms", terms_body, multiline=True),
        )
        if error
    ]
    if errors:  # before the offer is looked up: the texts are wrong whatever the offer
        raise DomainError(errors)
    if title is None and description is None and image_url is None and not (terms_body or "").strip():
        raise DomainError.single("NOTHING_TO_CHANGE", "give a new title, description, image or terms", field="title")
    async with write_transaction():
        before = await load_offer(offer_id)
        offer = before
        if (title, description, image_url) != (None, None, None):
            offer = await offers.update_offer(actor, offer_id, _input_of(before, title, description, image_url))
        version = await terms.revise_terms(actor, offer_id, terms_body) if (terms_body or "").strip() else None
        if version is not None:
            offer = await load_offer(offer_id)
    return Refreshed(before=before, offer=offer, terms=version)
