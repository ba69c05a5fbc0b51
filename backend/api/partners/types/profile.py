"""GraphQL types of a partner's profile: the partner and its contacts, the list's filter, the profile inputs and payload."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from backend.api.errors import errors_field
from backend.api.graphql_values import optional_id, values_enum
from backend.api.partners.loaders import current_stage_of, onboarding_of
from backend.api.partners.types.errors import PartnerError, partner_errors
from backend.api.partners.types.onboarding import OnboardingStageKey, PartnerOnboarding
from backend.core.errors import FieldError
from backend.partners.services.profiles import PartnerFilter, PartnerProfileInput
from backend.partners.views import (
    PARTNER_STATUSES,
    REWARD_TYPES,
    SOURCES,
    Contact,
    PartnerView,
)

PartnerStatus = values_enum(
    "PartnerStatus",
    PARTNER_STATUSES,
    "ONBOARDING until an approved go-live; LIVE; PAUSED (its offers stop); OFFBOARDED for good.",
)
PartnerSource = values_enum("PartnerSource", SOURCES, "NETWORK: from our partner network. CLIENT_SOURCED: brought by a client.")
RewardType = values_enum("RewardType", REWARD_TYPES, "What a partner's rewards are.")


@strawberry.type(description="Someone to talk to at the partner.")
class PartnerContact:
    name: str
    role: str
    email: str | None
    phone: str | None = strawberry.field(description="E.164.")

    @classmethod
    def from_view(cls, contact: Contact) -> PartnerContact:
        return cls(name=contact.name, role=contact.role, email=contact.email, phone=contact.phone)


@strawberry.type(description="A redemption partner: a brand whose offers recipients redeem rewards for.")
class Partner:
    id: strawberry.ID
    name: str
    source: PartnerSource
    category: str = strawberry.field(description="Lower case, e.g. retail, travel, dining.")
    countries: list[str] = strawberry.field(description="Where it serves: ISO 3166-1 alpha-2 codes, sorted.")
    reward_types: list[RewardType]
    audience_fit: str = strawberry.field(description="Who its offers suit, in the partner manager's words.")
    contacts: list[PartnerContact]
    status: PartnerStatus
    created_at: datetime
    updated_at: datetime
    created_by: str = strawberry.field(description="Who created it, as the audit log names them.")

    @classmethod
    def from_view(cls, view: PartnerView) -> Partner:
        return cls(
            id=optional_id(view.id),
            name=view.name,
            source=PartnerSource(view.source),
            category=view.category,
            countries=list(view.countries),
            reward_types=[RewardType(kind) for kind in view.reward_types],
            audience_fit=view.audience_fit,
            contacts=[PartnerContact.from_view(contact) for contact in view.contacts],
            status=PartnerStatus(view.status),
            created_at=view.created_at,
            updated_at=view.updated_at,
            created_by=view.created_by_label,
        )

    @strawberry.field(
        description="The first onboarding stage not signed off; null once every stage is (read for a whole page at once)."
    )
    async def current_stage(self, info: strawberry.Info) -> OnboardingStageKey | None:
        stage = await info.context.loader(current_stage_of).load(uuid.UUID(self.id))
        return OnboardingStageKey(stage) if stage else None

    @strawberry.field(
        description="Stages, checklist items with evidence, the go-live request and what blocks go-live. "
        "A few queries per partner: ask for it on `partner(id)`, not over a long list."
    )
    async def onboarding(self, info: strawberry.Info) -> PartnerOnboarding:
        return PartnerOnboarding.from_view(await info.context.loader(onboarding_of).load(uuid.UUID(self.id)))


@strawberry.input(description="Narrows the partners list; every given field must match.")
class PartnerFilterInput:
    search: str | None = strawberry.field(default=None, description="Substring of the name, any case.")
    status: PartnerStatus | None = None
    source: PartnerSource | None = None
    category: str | None = None
    country: str | None = strawberry.field(
        default=None, description="Partners serving this country (ISO 3166-1 alpha-2 or alpha-3)."
    )

    def to_domain(self) -> PartnerFilter:
        return PartnerFilter(
            search=self.search,
            status=self.status.value if self.status else None,
            source=self.source.value if self.source else None,
            category=self.category,
            country=self.country,
        )


@strawberry.input(description="A contact at the partner: a name and an email address or a phone number.")
class PartnerContactInput:
    name: str
    role: str = ""
    email: str | None = None
    phone: str | None = strawberry.field(default=None, description="With its +country prefix.")

    def to_domain(self) -> Contact:
        return Contact(name=self.name, role=self.role, email=self.email, phone=self.phone)


def _profile(input_) -> PartnerProfileInput:
    return PartnerProfileInput(
        name=input_.name,
        source=input_.source.value,
        category=input_.category,
        countries=list(input_.countries),
        reward_types=[kind.value for kind in input_.reward_types],
        audience_fit=input_.audience_fit or "",
        contacts=[contact.to_domain() for contact in input_.contacts or []],
    )


@strawberry.input(description="A new partner; it starts ONBOARDING, at the first stage.")
class CreatePartnerInput:
    name: str = strawberry.field(description="Unique, any case.")
    source: PartnerSource
    category: str
    countries: list[str] = strawberry.field(description="ISO 3166-1 codes of the countries it serves (at least one).")
    reward_types: list[RewardType]
    audience_fit: str | None = None
    contacts: list[PartnerContactInput] | None = None

    def to_domain(self) -> PartnerProfileInput:
        return _profile(self)


@strawberry.input(
    description="The partner's whole profile: fields left out are cleared. Its status changes only through the workflow."
)
class UpdatePartnerInput:
    partner_id: strawberry.ID
    name: str
    source: PartnerSource
    category: str
    countries: list[str]
    reward_types: list[RewardType]
    audience_fit: str | None = None
    contacts: list[PartnerContactInput] | None = None

    def to_domain(self) -> PartnerProfileInput:
        return _profile(self)


@strawberry.type(description="A partner after createPartner, updatePartner or approveGoLive.")
class PartnerPayload:
    partner: Partner | None = strawberry.field(description="Null when refused.")
    errors: list[PartnerError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> PartnerPayload:
        return cls(partner=None, errors=partner_errors(errors))
