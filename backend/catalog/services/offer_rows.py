"""Reading offers into views: one query joins each offer with its partner's name and status."""

from __future__ import annotations

import uuid

from backend.catalog.tables import Offer
from backend.catalog.views import Denominations, ExpiryRule, OfferView, as_date, json_value
from backend.core.clock import as_utc
from backend.core.errors import NotFound

OFFER_COLUMNS = (
    *Offer.all_columns(),
    Offer.partner.name.as_alias("partner_name"),
    Offer.partner.status.as_alias("partner_status"),
)


def offer_view(row: dict) -> OfferView:
    return OfferView(
        id=row["id"],
        partner_id=row["partner"],
        partner_name=row["partner_name"],
        partner_status=row["partner_status"],
        title=row["title"],
        code=row["code"] or "",
        description=row["description"],
        image_url=row["image_url"],
        country=row["country"],
        currency=row["currency"],
        category=row["category"],
        category_restrictions=tuple(json_value(row["category_restrictions"]) or ()),
        denominations=Denominations(
            kind=row["denomination_kind"],
            amounts=tuple(json_value(row["denominations"]) or ()),
            minimum=row["min_amount"],
            maximum=row["max_amount"],
            step=row["amount_step"],
        ),
        expiry=ExpiryRule(kind=row["expiry_kind"], days=row["expiry_days"], on=as_date(row["expiry_date"])),
        eligibility_rule=row["eligibility_rule"],
        current_terms_version_id=row["current_terms_version"],
        rank=row["rank"],
        status=row["status"],
        low_stock_threshold=row["low_stock_threshold"],
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
    )


def offers_query():
    return Offer.select(*OFFER_COLUMNS)


async def load_offer(offer_id: uuid.UUID) -> OfferView:
    row = await offers_query().where(Offer.id == offer_id).first()
    if row is None:
        raise NotFound("offer", offer_id, field="offer_id")
    return offer_view(row)


async def load_offers(ids: list[uuid.UUID]) -> dict[uuid.UUID, OfferView]:
    """The offers with these ids (the unknown ones left out), by id: one query."""
    rows = await offers_query().where(Offer.id.is_in(list(ids))) if ids else []
    return {row["id"]: offer_view(row) for row in rows}
