"""Offers: create, edit, change status, find.

An offer belongs to a partner; its denominations are a fixed list or a range with a step (minor
units); its expiry is days after issue or a fixed date; its eligibility rule is stored in
canonical form. Status: draft → live ⇄ paused → retired; only an offer of a live partner with
current terms can go live (the database checks the partner in the same UPDATE).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from piccolo.columns.combination import WhereRaw

from backend.catalog.services import offer_codes
from backend.catalog.services.offer_rows import load_offer, load_offers, offer_view, offers_query
from backend.catalog.services.offer_rules import MAX_TERMS, OfferInput, validate_offer
from backend.catalog.tables import Offer, TermsVersion
from backend.catalog.views import (
    DRAFT,
    LIVE,
    OFFER_STATUSES,
    PAUSED,
    RETIRED,
    OfferView,
    Page,
)
from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import icontains, write_transaction
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.iso_codes import country_code, currency_code
from backend.core.text import check_text
from backend.partners.services import profiles as partners
from backend.partners.views import OFFBOARDED

# Which status an offer may move to, from which.
TRANSITIONS = {LIVE: (DRAFT, PAUSED), PAUSED: (LIVE,), RETIRED: (DRAFT, LIVE, PAUSED)}


@dataclass(frozen=True)
class OfferFilter:
    partner_id: uuid.UUID | None = None
    country: str | None = None
    currency: str | None = None
    category: str | None = None
    status: str | None = None
    search: str | None = None  # substring of the title or the code
    available_only: bool = False  # live offers of live partners


def audit_view(offer: OfferView) -> dict:
    data = asdict(offer)
    for key in ("id", "created_at", "updated_at", "partner_name", "partner_status", "rank"):
        data.pop(key)
    return data


async def create_offer(actor: Actor, partner_id: uuid.UUID, data: OfferInput, terms: str = "") -> OfferView:
    """A draft offer at the end of the catalogue. ``terms``, when given, become version 1."""
    actor.require(Permission.CATALOG_WRITE)
    check_text("terms", terms, multiline=True)
    values = validate_offer(data)
    terms = (terms or "").strip()
    if len(terms) > MAX_TERMS:
        raise DomainError.single("TOO_LONG", f"terms are at most {MAX_TERMS:,} characters", field="terms")
    partner = await partners.get_partner(actor, partner_id)
    if partner.status == OFFBOARDED:
        raise DomainError.single(
            "PARTNER_OFFBOARDED", f"{partner.name} is offboarded: it takes no new offers", field="partner_id"
        )
    offer_id, now = new_id(), utcnow()
    async with write_transaction():
        if values["code"]:
            await offer_codes.check_free(values["code"])
        else:
            values["code"] = await offer_codes.free_code(
                offer_codes.suggested(partner.name, values["country"], values["currency"], values)
            )
        last = await Offer.select(Offer.rank).order_by(Offer.rank, ascending=False).first()
        await Offer.insert(
            Offer(
                id=offer_id,
                partner=partner_id,
                status=DRAFT,
                rank=(last["rank"] + 1) if last else 1,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
        if terms:
            terms_id = new_id()
            await TermsVersion.insert(
                TermsVersion(
                    id=terms_id,
                    offer=offer_id,
                    version=1,
                    body=terms,
                    created_by=actor.id,
                    created_by_label=actor.label,
                    created_at=now,
                )
            )
            await Offer.update({Offer.current_terms_version: terms_id}).where(Offer.id == offer_id)
        offer = await load_offer(offer_id)
        await audit.record(actor, "offer.created", "offer", offer_id, after=audit_view(offer))
    return offer


async def update_offer(actor: Actor, offer_id: uuid.UUID, data: OfferInput) -> OfferView:
    """Replace the offer's details (not its partner, status, rank or terms). A retired offer is frozen."""
    actor.require(Permission.CATALOG_WRITE)
    values = validate_offer(data)
    async with write_transaction():
        before = await load_offer(offer_id)
        if before.status == RETIRED:
            raise DomainError.single("OFFER_RETIRED", f"'{before.title}' is retired; it can no longer change")
        if not values["code"]:
            values["code"] = before.code or await offer_codes.free_code(
                offer_codes.suggested(before.partner_name, values["country"], values["currency"], values)
            )
        elif values["code"] != before.code:
            await offer_codes.check_free(values["code"], offer_id)
        await Offer.update({**{getattr(Offer, key): value for key, value in values.items()}, Offer.updated_at: utcnow()}).where(
            Offer.id == offer_id
        )
        after = await load_offer(offer_id)
        if audit_view(after) != audit_view(before):
            await audit.record(actor, "offer.updated", "offer", offer_id, before=audit_view(before), after=audit_view(after))
    return after


def _partner_is_live():
    # Read in the same UPDATE as the status change: no window between the check and the write.
    return WhereRaw("EXISTS (SELECT 1 FROM partners WHERE partners.id = offers.partner AND partners.status = 'live')")


async def change_offer_status(actor: Actor, offer_id: uuid.UUID, status: str, reason: str = "") -> OfferView:
    """Move an offer along draft → live ⇄ paused → retired. Going live needs a live partner
    (PARTNER_NOT_LIVE) and terms (TERMS_REQUIRED)."""
    actor.require(Permission.CATALOG_WRITE)
    check_text("status", status)
    check_text("reason", reason, multiline=True)
    if status not in TRANSITIONS:
        raise DomainError.single("INVALID_STATUS", f"an offer can be set to {', '.join(TRANSITIONS)}", field="status")
    async with write_transaction():
        before = await load_offer(offer_id)
        allowed_from = TRANSITIONS[status]
        if before.status not in allowed_from:
            raise DomainError.single(
                "INVALID_STATUS_CHANGE",
                f"'{before.title}' is {before.status}; it becomes {status} only from {' or '.join(allowed_from)}",
                field="status",
            )
        query = Offer.update({Offer.status: status, Offer.updated_at: utcnow()}).where(
            Offer.id == offer_id, Offer.status == before.status
        )
        if status == LIVE:
            if before.current_terms_version_id is None:
                raise DomainError.single(
                    "TERMS_REQUIRED", f"'{before.title}' needs terms & conditions before it goes live", field="terms"
                )
            query = query.where(_partner_is_live())
        if not await query.returning(Offer.id):
            if status == LIVE and before.partner_status != LIVE:
                raise DomainError.single(
                    "PARTNER_NOT_LIVE",
                    f"{before.partner_name} is {before.partner_status}: only offers of a live partner go live",
                    field="status",
                )
            raise DomainError.single(
                "INVALID_STATUS_CHANGE", f"'{before.title}' changed meanwhile; reload and retry", field="status"
            )
        after = await load_offer(offer_id)
        await audit.record(
            actor,
            f"offer.{status}",
            "offer",
            offer_id,
            before={"status": before.status},
            after={"status": status, "reason": reason},
        )
    return after


async def get_offer(actor: Actor, offer_id: uuid.UUID) -> OfferView:
    actor.require(Permission.CATALOG_READ)
    return await load_offer(offer_id)


async def offers_by_ids(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, OfferView]:
    """One query for many ids (GraphQL DataLoaders)."""
    actor.require(Permission.CATALOG_READ)
    return await load_offers(ids)


def filtered(query, offer_filter: OfferFilter):
    for name in ("country", "currency", "category", "status", "search"):
        check_text(name, getattr(offer_filter, name))
    if offer_filter.partner_id is not None:
        query = query.where(Offer.partner == offer_filter.partner_id)
    if offer_filter.country:
        query = query.where(Offer.country == country_code(offer_filter.country))
    if offer_filter.currency:
        query = query.where(Offer.currency == currency_code(offer_filter.currency))
    if offer_filter.category:
        query = query.where(Offer.category == " ".join(offer_filter.category.split()).lower())
    if offer_filter.status:
        if offer_filter.status not in OFFER_STATUSES:
            raise DomainError.single("INVALID_STATUS", f"expected one of {', '.join(OFFER_STATUSES)}", field="status")
        query = query.where(Offer.status == offer_filter.status)
    if offer_filter.search and offer_filter.search.strip():
        term = offer_filter.search.strip()
        query = query.where(icontains(Offer.title, term) | icontains(Offer.code, term))
    if offer_filter.available_only:
        query = query.where(Offer.status == LIVE, _partner_is_live())
    return query


async def list_offers(actor: Actor, offer_filter: OfferFilter = OfferFilter(), offset: int = 0, limit: int = 50) -> Page:
    """The catalogue in rank order, filtered and paged in the database."""
    actor.require(Permission.CATALOG_READ)
    rows = (
        await filtered(offers_query(), offer_filter)
        .order_by(Offer.rank)
        .order_by(Offer.id)
        .offset(max(offset, 0))
        .limit(max(1, min(limit, 200)))
    )
    return Page(rows=[offer_view(row) for row in rows], total=await filtered(Offer.count(), offer_filter))


async def offers_after(
    actor: Actor, offer_filter: OfferFilter, after: tuple[int, uuid.UUID] | None, limit: int
) -> list[OfferView]:
    """Keyset page in catalogue order (rank, then id), strictly after the (rank, id) ``after``: the
    API's cursor pagination. A re-rank between two pages moves offers, never duplicates a row within one."""
    actor.require(Permission.CATALOG_READ)
    query = filtered(offers_query(), offer_filter)
    if after is not None:
        rank, offer_id = after
        query = query.where((Offer.rank > rank) | ((Offer.rank == rank) & (Offer.id > offer_id)))
    rows = await query.order_by(Offer.rank).order_by(Offer.id).limit(max(1, min(limit, 201)))
    return [offer_view(row) for row in rows]


async def count_offers(actor: Actor, offer_filter: OfferFilter = OfferFilter()) -> int:
    actor.require(Permission.CATALOG_READ)
    return await filtered(Offer.count(), offer_filter)
