"""GraphQL types of offers: the offer with its denominations, expiry, current terms and stock levels; its filter, inputs and payloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import strawberry

from backend.api.catalog.loaders import stock_levels_by_offer, terms_versions_by_id
from backend.api.catalog.types.errors import CatalogError, catalog_errors
from backend.api.catalog.types.shared import MinorUnits
from backend.api.catalog.types.stock import StockLevel
from backend.api.catalog.types.terms import TermsVersion
from backend.api.errors import errors_field
from backend.api.graphql_values import optional_id, values_enum
from backend.api.partners.loaders import partners_by_id
from backend.api.partners.types.profile import Partner
from backend.catalog.services.offer_rules import DenominationRange, OfferInput
from backend.catalog.services.offers import TRANSITIONS, OfferFilter
from backend.catalog.views import (
    DAYS_AFTER_ISSUE,
    FIXED,
    FIXED_DATE,
    OFFER_STATUSES,
    RANGE,
    Denominations,
    ExpiryRule,
    OfferView,
)
from backend.core.errors import FieldError

OfferStatus = values_enum("OfferStatus", OFFER_STATUSES, "DRAFT → LIVE ⇄ PAUSED → RETIRED.")
OfferStatusChange = values_enum("OfferStatusChange", tuple(TRANSITIONS), "The statuses changeOfferStatus can set.")
DenominationKind = values_enum(
    "DenominationKind", (FIXED, RANGE), "FIXED: a list of amounts. RANGE: minimum to maximum in steps."
)
ExpiryKind = values_enum("ExpiryKind", (DAYS_AFTER_ISSUE, FIXED_DATE), "DAYS_AFTER_ISSUE or a FIXED_DATE.")


@strawberry.type(description="The amounts an offer can be issued for, in minor units.")
class OfferDenominations:
    kind: DenominationKind
    amounts: list[MinorUnits] = strawberry.field(description="FIXED: every amount, ascending. Empty for RANGE.")
    minimum: MinorUnits | None
    maximum: MinorUnits | None
    step: MinorUnits | None

    @classmethod
    def from_view(cls, view: Denominations) -> OfferDenominations:
        return cls(
            kind=DenominationKind(view.kind),
            amounts=list(view.amounts),
            minimum=view.minimum,
            maximum=view.maximum,
            step=view.step,
        )


@strawberry.type(description="When a reward of the offer stops being redeemable.")
class OfferExpiry:
    kind: ExpiryKind
    days: int | None = strawberry.field(description="DAYS_AFTER_ISSUE: this many days after the reward is issued.")
    on: date | None = strawberry.field(description="FIXED_DATE: the last day (UTC).")

    @classmethod
    def from_view(cls, view: ExpiryRule) -> OfferExpiry:
        return cls(kind=ExpiryKind(view.kind), days=view.days, on=view.on)


@strawberry.type(description="Something a recipient can redeem a reward for, from one partner, in one country and currency.")
class Offer:
    id: strawberry.ID
    partner_id: strawberry.ID
    title: str
    code: str = strawberry.field(
        description="The offer's human code, unique (e.g. SHOP-IN-500): what upload files and `offerCode` name it by."
    )
    description: str
    image_url: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    currency: str = strawberry.field(description="ISO 4217 code with a minor unit, e.g. INR.")
    category: str
    category_restrictions: list[str] = strawberry.field(description="What the reward may not buy, e.g. alcohol.")
    denominations: OfferDenominations
    expiry: OfferExpiry
    eligibility_rule: str = strawberry.field(description="Who may have it, canonical; empty: everyone.")
    rank: int = strawberry.field(description="Its place in the catalogue, 1 first.")
    status: OfferStatus
    available: bool = strawberry.field(description="Issuable now: LIVE, and its partner is live.")
    low_stock_threshold: int = strawberry.field(description="Alert at or below this many usable codes; 0: no alert.")
    created_at: datetime
    updated_at: datetime
    current_terms_version_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_view(cls, view: OfferView) -> Offer:
        return cls(
            id=optional_id(view.id),
            partner_id=optional_id(view.partner_id),
            title=view.title,
            code=view.code,
            description=view.description,
            image_url=view.image_url,
            country=view.country,
            currency=view.currency,
            category=view.category,
            category_restrictions=list(view.category_restrictions),
            denominations=OfferDenominations.from_view(view.denominations),
            expiry=OfferExpiry.from_view(view.expiry),
            eligibility_rule=view.eligibility_rule,
            rank=view.rank,
            status=OfferStatus(view.status),
            available=view.is_available,
            low_stock_threshold=view.low_stock_threshold,
            created_at=view.created_at,
            updated_at=view.updated_at,
            current_terms_version_id=view.current_terms_version_id,
        )

    @strawberry.field(description="The partner behind the offer (read for a whole page at once).")
    async def partner(self, info: strawberry.Info) -> Partner:
        return Partner.from_view(await info.context.loader(partners_by_id).load(uuid.UUID(self.partner_id)))

    @strawberry.field(description="The terms an issuance made now records; null while the offer has none.")
    async def current_terms(self, info: strawberry.Info) -> TermsVersion | None:
        if self.current_terms_version_id is None:
            return None
        view = await info.context.loader(terms_versions_by_id).load(self.current_terms_version_id)
        return TermsVersion.from_view(view) if view else None

    @strawberry.field(description="Voucher stock per denomination (read for a whole page at once).")
    async def stock_levels(self, info: strawberry.Info) -> list[StockLevel]:
        return [
            StockLevel.from_view(level) for level in await info.context.loader(stock_levels_by_offer).load(uuid.UUID(self.id))
        ]


@strawberry.input(description="Narrows the offers list; every given field must match.")
class OfferFilterInput:
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 or alpha-3.")
    currency: str | None = strawberry.field(default=None, description="ISO 4217.")
    category: str | None = None
    status: OfferStatus | None = None
    partner_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description="Substring of the title, any case.")
    available_only: bool = strawberry.field(default=False, description="Only offers issuable now (LIVE, of a live partner).")
    eligible_for: strawberry.ID | None = strawberry.field(
        default=None,
        description="A recipient id: only the available offers this recipient qualifies for (needs `recipients:read` too).",
    )

    def to_domain(self, partner_id: uuid.UUID | None) -> OfferFilter:
        return OfferFilter(
            partner_id=partner_id,
            country=self.country,
            currency=self.currency,
            category=self.category,
            status=self.status.value if self.status else None,
            search=self.search,
            available_only=self.available_only,
        )


@strawberry.input(description="Denominations from `minimum` to `maximum` in `step`s, minor units.")
class DenominationRangeInput:
    minimum: MinorUnits
    maximum: MinorUnits
    step: MinorUnits

    def to_domain(self) -> DenominationRange:
        return DenominationRange(minimum=self.minimum, maximum=self.maximum, step=self.step)


def _offer(input_) -> OfferInput:
    return OfferInput(
        title=input_.title,
        country=input_.country,
        currency=input_.currency,
        category=input_.category,
        denominations=list(input_.denominations) if input_.denominations is not None else None,
        denomination_range=input_.denomination_range.to_domain() if input_.denomination_range else None,
        expiry_days=input_.expiry_days,
        expiry_date=input_.expiry_date,
        description=input_.description or "",
        image_url=input_.image_url or "",
        category_restrictions=list(input_.category_restrictions or []),
        eligibility_rule=input_.eligibility_rule or "",
        low_stock_threshold=input_.low_stock_threshold,
        code=input_.code or "",
    )


def _denominations_field():
    return strawberry.field(default=None, description="A fixed list of amounts (minor units). Give this or `denominationRange`.")


def _expiry_days_field():
    return strawberry.field(default=None, description="Days after issue, 1–3650. Give this or `expiryDate`.")


def _currency_field():
    return strawberry.field(
        description="ISO 4217 code with a minor unit (INR, JPY, KWD); XAU, XDR and other codes without one "
        "are refused with INVALID_CURRENCY."
    )


def _rule_field():
    return strawberry.field(default=None, description="e.g. `country in [IN] and grade >= 5`; empty: everyone.")


@strawberry.input(description="A new offer of a partner: a DRAFT at the end of the catalogue.")
class CreateOfferInput:
    partner_id: strawberry.ID
    title: str
    country: str
    currency: str = _currency_field()
    category: str
    denominations: list[MinorUnits] | None = _denominations_field()
    denomination_range: DenominationRangeInput | None = None
    expiry_days: int | None = _expiry_days_field()
    expiry_date: date | None = strawberry.field(default=None, description="A date after today.")
    description: str | None = None
    image_url: str | None = strawberry.field(default=None, description="https only.")
    category_restrictions: list[str] | None = None
    eligibility_rule: str | None = _rule_field()
    low_stock_threshold: int = 0
    code: str | None = strawberry.field(
        default=None,
        description="Unique, 2–40 letters, digits, '-', '_' or '.' (upper-cased): e.g. SHOP-IN-500. Left out: made from "
        "the partner, the country and the amount. INVALID_OFFER_CODE, OFFER_CODE_TAKEN.",
    )
    terms: str | None = strawberry.field(
        default=None, description="Terms & conditions: version 1. An offer goes live only with terms."
    )

    def to_domain(self) -> OfferInput:
        return _offer(self)


@strawberry.input(description="An offer's whole details (not its partner, status, rank or terms): fields left out are cleared.")
class UpdateOfferInput:
    offer_id: strawberry.ID
    title: str
    country: str
    currency: str = _currency_field()
    category: str
    denominations: list[MinorUnits] | None = _denominations_field()
    denomination_range: DenominationRangeInput | None = None
    expiry_days: int | None = _expiry_days_field()
    expiry_date: date | None = None
    description: str | None = None
    image_url: str | None = None
    category_restrictions: list[str] | None = None
    eligibility_rule: str | None = _rule_field()
    low_stock_threshold: int = 0
    code: str | None = strawberry.field(
        default=None, description="A new code (unique; INVALID_OFFER_CODE, OFFER_CODE_TAKEN); left out: the code is kept."
    )

    def to_domain(self) -> OfferInput:
        return _offer(self)


@strawberry.input(description="Move an offer along DRAFT → LIVE ⇄ PAUSED → RETIRED.")
class ChangeOfferStatusInput:
    offer_id: strawberry.ID
    status: OfferStatusChange
    reason: str | None = None


@strawberry.input(
    description="Offers in their new order; they swap among the places they hold now, every other offer keeps its place."
)
class RerankOffersInput:
    offer_ids: list[strawberry.ID]


@strawberry.type(description="An offer after createOffer, updateOffer or changeOfferStatus.")
class OfferPayload:
    offer: Offer | None = strawberry.field(description="Null when refused.")
    errors: list[CatalogError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> OfferPayload:
        return cls(offer=None, errors=catalog_errors(errors))


@strawberry.type(description="The offers given to rerankOffers, in their new order with their new ranks.")
class RerankOffersPayload:
    offers: list[Offer]
    errors: list[CatalogError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> RerankOffersPayload:
        return cls(offers=[], errors=catalog_errors(errors))
