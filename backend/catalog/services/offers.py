"""Offers: create, edit, change status, find.

An offer belongs to a partner; its denominations are a fixed list or a range with a step (minor
units); its expiry is days after issue or a fixed date; its eligibility rule is stored in
canonical form. Status: draft → live ⇄ paused → retired; only an offer of a live partner with
current terms can go live (the database checks the partner in the same UPDATE).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from urllib.parse import urlsplit

from piccolo.columns.combination import WhereRaw

from backend.catalog import eligibility
from backend.catalog.services import offer_codes
from backend.catalog.services.offer_rows import load_offer, load_offers, offer_view, offers_query
from backend.catalog.tables import Offer, TermsVersion
from backend.catalog.views import (
    DAYS_AFTER_ISSUE,
    DRAFT,
    FIXED,
    FIXED_DATE,
    LIVE,
    OFFER_STATUSES,
    PAUSED,
    RANGE,
    RETIRED,
    Denominations,
    OfferView,
    Page,
)
from backend.core import audit, money
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import icontains, write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.core.iso_codes import country_code, currency_code
from backend.core.text import check_text, text_error
from backend.partners.services import profiles as partners
from backend.partners.views import OFFBOARDED

MAX_DENOMINATIONS = 50
MAX_AMOUNT = 10**12  # minor units; far above any reward, far below integer limits
MAX_EXPIRY_DAYS = 3650
MAX_TERMS = 50_000
_LABEL = re.compile(r"^[a-z0-9][a-z0-9 _&/-]{0,59}$")

# Which status an offer may move to, from which.
TRANSITIONS = {LIVE: (DRAFT, PAUSED), PAUSED: (LIVE,), RETIRED: (DRAFT, LIVE, PAUSED)}


@dataclass(frozen=True)
class DenominationRange:
    minimum: int
    maximum: int
    step: int


@dataclass
class OfferInput:
    """Exactly one of ``denominations`` / ``denomination_range`` and one of ``expiry_days`` / ``expiry_date``."""

    title: str
    country: str
    currency: str
    category: str
    denominations: list[int] | None = None
    denomination_range: DenominationRange | None = None
    expiry_days: int | None = None
    expiry_date: date | None = None
    description: str = ""
    image_url: str = ""
    category_restrictions: list[str] = field(default_factory=list)
    eligibility_rule: str = ""
    low_stock_threshold: int = 0
    code: str = ""  # the offer's human code (offer_codes); empty: made from partner, country and amount, or kept


@dataclass(frozen=True)
class OfferFilter:
    partner_id: uuid.UUID | None = None
    country: str | None = None
    currency: str | None = None
    category: str | None = None
    status: str | None = None
    search: str | None = None  # substring of the title or the code
    available_only: bool = False  # live offers of live partners


def _is_amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _denominations(data: OfferInput, errors: list[FieldError]) -> Denominations | None:
    if (data.denominations is None) == (data.denomination_range is None):
        errors.append(
            FieldError(
                "denominations",
                "DENOMINATIONS_REQUIRED",
                "give either a fixed list of denominations or a min/max range with a step",
            )
        )
        return None
    if data.denominations is not None:
        amounts = list(data.denominations)
        if not amounts or len(amounts) > MAX_DENOMINATIONS:
            errors.append(FieldError("denominations", "INVALID_DENOMINATIONS", f"give 1 to {MAX_DENOMINATIONS} denominations"))
        elif not all(_is_amount(a) and 0 < a <= MAX_AMOUNT for a in amounts):
            errors.append(
                FieldError(
                    "denominations",
                    "INVALID_DENOMINATIONS",
                    "denominations are positive whole numbers of minor units (e.g. 50000 for 500.00)",
                )
            )
        elif len(set(amounts)) != len(amounts):
            errors.append(FieldError("denominations", "DUPLICATE_DENOMINATION", "each denomination once"))
        else:
            return Denominations(kind=FIXED, amounts=tuple(sorted(amounts)))
        return None
    span = data.denomination_range
    if not all(_is_amount(v) for v in (span.minimum, span.maximum, span.step)):
        errors.append(
            FieldError("denomination_range", "INVALID_RANGE", "minimum, maximum and step are whole numbers of minor units")
        )
    elif not (0 < span.minimum <= span.maximum <= MAX_AMOUNT) or span.step <= 0:
        errors.append(FieldError("denomination_range", "INVALID_RANGE", "expected 0 < minimum ≤ maximum and a positive step"))
    elif (span.maximum - span.minimum) % span.step:
        errors.append(
            FieldError(
                "denomination_range",
                "INVALID_RANGE",
                f"maximum {span.maximum} is not reached from {span.minimum} in steps of {span.step}",
            )
        )
    else:
        return Denominations(kind=RANGE, minimum=span.minimum, maximum=span.maximum, step=span.step)
    return None


def _expiry(data: OfferInput, errors: list[FieldError]) -> dict:
    if (data.expiry_days is None) == (data.expiry_date is None):
        errors.append(FieldError("expiry", "EXPIRY_REQUIRED", "give either a number of days after issue or a fixed expiry date"))
        return {}
    if data.expiry_days is not None:
        if not _is_amount(data.expiry_days) or not 1 <= data.expiry_days <= MAX_EXPIRY_DAYS:
            errors.append(FieldError("expiry_days", "INVALID_EXPIRY", f"days after issue: 1 to {MAX_EXPIRY_DAYS}"))
            return {}
        return {"expiry_kind": DAYS_AFTER_ISSUE, "expiry_days": data.expiry_days, "expiry_date": None}
    if not isinstance(data.expiry_date, date) or data.expiry_date <= utcnow().date():
        errors.append(FieldError("expiry_date", "EXPIRY_IN_PAST", "a fixed expiry date must be a date after today"))
        return {}
    return {"expiry_kind": FIXED_DATE, "expiry_days": None, "expiry_date": data.expiry_date}


def image_url(value: str) -> str:
    """An https URL with a host, or empty. Raises INVALID_IMAGE_URL."""
    text = (value or "").strip()
    if not text:
        return ""
    problem = None
    if len(text) > 2000:
        problem = "is longer than 2000 characters"
    elif any(char.isspace() or ord(char) < 32 for char in text):
        problem = "contains spaces or control characters"
    else:
        try:
            parts = urlsplit(text)
            if parts.scheme.lower() != "https":
                problem = "must start with https://"
            elif not parts.hostname or "." not in parts.hostname.strip("."):
                problem = "has no host name"
            elif parts.username or parts.password:
                problem = "must not carry credentials"
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            problem = "is not a URL"
    if problem:
        raise DomainError.single("INVALID_IMAGE_URL", f"the image URL {problem}", field="image_url")
    return text


def _labels(values: list[str], field_name: str, errors: list[FieldError]) -> list[str]:
    labels = sorted({" ".join((value or "").split()).lower() for value in values or []} - {""})
    bad = [label for label in labels if not _LABEL.match(label)]
    if bad:
        errors.append(
            FieldError(field_name, "INVALID_LABEL", f"labels are up to 60 letters, digits, spaces or _&/-: {', '.join(bad)}")
        )
    if len(labels) > 50:
        errors.append(FieldError(field_name, "TOO_MANY", "at most 50 labels"))
    return labels


def validate_offer(data: OfferInput) -> dict:
    """Every problem at once; returns the column values."""
    errors: list[FieldError] = [
        error
        for error in (
            *(
                text_error(name, getattr(data, name))
                for name in ("title", "code", "category", "country", "currency", "image_url")
            ),
            text_error("description", data.description, multiline=True),
            *(text_error("category_restrictions", value) for value in data.category_restrictions or []),
            text_error("eligibility_rule", data.eligibility_rule, multiline=True),
        )
        if error
    ]
    if errors:  # values no other rule can read
        raise DomainError(errors)

    def check(fn, *args):
        try:
            return fn(*args)
        except DomainError as error:
            errors.extend(error.errors)
            return None

    title = " ".join((data.title or "").split())
    if not title:
        errors.append(FieldError("title", "REQUIRED", "an offer needs a title"))
    elif len(title) > 200:
        errors.append(FieldError("title", "TOO_LONG", "a title is at most 200 characters"))
    description = (data.description or "").strip()
    if len(description) > 10_000:
        errors.append(FieldError("description", "TOO_LONG", "a description is at most 10,000 characters"))
    category = " ".join((data.category or "").split()).lower()
    if not category:
        errors.append(FieldError("category", "REQUIRED", "a category is required, e.g. dining, travel"))
    elif not _LABEL.match(category):
        errors.append(FieldError("category", "INVALID_LABEL", "a category is up to 60 letters, digits, spaces or _&/-"))
    country = check(country_code, data.country)
    currency = check(money.currency, data.currency)
    denominations = _denominations(data, errors)
    expiry = _expiry(data, errors)
    url = check(image_url, data.image_url)
    restrictions = _labels(data.category_restrictions, "category_restrictions", errors)
    rule = check(eligibility.canonical, data.eligibility_rule)
    code = check(offer_codes.normalised, data.code) if (data.code or "").strip() else ""
    threshold = data.low_stock_threshold
    if not _is_amount(threshold) or not 0 <= threshold <= 1_000_000:
        errors.append(FieldError("low_stock_threshold", "INVALID_THRESHOLD", "a whole number from 0 (no alert) to 1,000,000"))
    if errors:
        raise DomainError(errors)
    return {
        "title": title,
        "description": description,
        "image_url": url,
        "country": country,
        "currency": currency,
        "category": category,
        "category_restrictions": restrictions,
        "denomination_kind": denominations.kind,
        "denominations": list(denominations.amounts),
        "min_amount": denominations.minimum,
        "max_amount": denominations.maximum,
        "amount_step": denominations.step,
        **expiry,
        "eligibility_rule": rule,
        "low_stock_threshold": threshold,
        "code": code,
    }


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
