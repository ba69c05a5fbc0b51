"""Partner profiles: create, edit, find, pause, resume, offboard.

A partner starts ``onboarding``; only an approved go-live request (``go_live``) makes it ``live``.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from piccolo.columns.combination import WhereRaw

from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.contact_points import email_address, phone_number
from backend.core.db import current_engine, icontains, write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.core.iso_codes import country_code
from backend.core.text import check_text, text_error
from backend.partners.services.lookups import partner_row
from backend.partners.tables import Partner
from backend.partners.views import (
    LIVE,
    OFFBOARDED,
    ONBOARDING,
    PARTNER_STATUSES,
    PAUSED,
    REWARD_TYPES,
    SOURCES,
    Contact,
    Page,
    PartnerView,
    partner_view,
)

MAX_CONTACTS = 20
MAX_AUDIENCE_FIT = 4000


@dataclass
class PartnerProfileInput:
    name: str
    source: str  # network | client_sourced
    category: str
    countries: list[str]  # ISO 3166 codes (alpha-2 or alpha-3)
    reward_types: list[str]  # subset of REWARD_TYPES
    audience_fit: str = ""
    contacts: list[Contact] = field(default_factory=list)


@dataclass(frozen=True)
class PartnerFilter:
    search: str | None = None  # substring of the name
    status: str | None = None
    source: str | None = None
    category: str | None = None
    country: str | None = None  # partners serving this country


def _clean_contacts(contacts: list[Contact | dict], errors: list[FieldError]) -> list[dict]:
    cleaned = []
    if len(contacts) > MAX_CONTACTS:
        errors.append(FieldError("contacts", "TOO_MANY", f"at most {MAX_CONTACTS} contacts"))
    for index, contact in enumerate(contacts[:MAX_CONTACTS]):
        contact = (
            contact
            if isinstance(contact, Contact)
            else Contact(**{key: contact.get(key) or "" for key in ("name", "role", "email", "phone")})
        )
        where = f"contacts[{index}]"
        name = (contact.name or "").strip()
        if not name:
            errors.append(FieldError(f"{where}.name", "REQUIRED", "a contact needs a name"))
        if not (contact.email or "").strip() and not (contact.phone or "").strip():
            errors.append(
                FieldError(where, "MISSING_CONTACT", f"contact {name or index + 1} needs an email address or a phone number")
            )
        email = phone = None
        try:
            email = email_address(contact.email, f"{where}.email") if (contact.email or "").strip() else None
            phone = phone_number(contact.phone, None, f"{where}.phone") if (contact.phone or "").strip() else None
        except DomainError as error:
            errors.extend(error.errors)
        cleaned.append({"name": name[:200], "role": (contact.role or "").strip()[:100], "email": email, "phone": phone})
    return cleaned


def validate_profile(data: PartnerProfileInput) -> dict:
    """Every problem at once, so a person fixes the form in one go. Returns the column values."""
    errors: list[FieldError] = [
        error
        for error in (
            text_error("name", data.name),
            text_error("source", data.source),
            text_error("category", data.category),
            *(text_error("countries", value) for value in data.countries or []),
            *(text_error("reward_types", value) for value in data.reward_types or []),
            text_error("audience_fit", data.audience_fit, multiline=True),
            *(
                text_error(
                    f"contacts[{index}].{key}",
                    getattr(contact, key, None) or (contact.get(key) if isinstance(contact, dict) else None),
                )
                for index, contact in enumerate(data.contacts or [])
                for key in ("name", "role", "email", "phone")
            ),
        )
        if error
    ]
    if errors:  # values no other rule can read
        raise DomainError(errors)
    name = " ".join((data.name or "").split())
    if not name:
        errors.append(FieldError("name", "REQUIRED", "a partner needs a name"))
    elif len(name) > 200:
        errors.append(FieldError("name", "TOO_LONG", "a name is at most 200 characters"))
    source = (data.source or "").strip().lower()
    if source not in SOURCES:
        errors.append(FieldError("source", "INVALID_SOURCE", f"expected one of {', '.join(SOURCES)}"))
    category = " ".join((data.category or "").split()).lower()
    if not category:
        errors.append(FieldError("category", "REQUIRED", "a category is required, e.g. retail, travel, dining"))
    elif len(category) > 60:
        errors.append(FieldError("category", "TOO_LONG", "a category is at most 60 characters"))
    countries = set()
    for value in data.countries or []:
        try:
            countries.add(country_code(value, "countries"))
        except DomainError as error:
            errors.extend(error.errors)
    if not data.countries:
        errors.append(FieldError("countries", "REQUIRED", "name at least one country the partner serves"))
    reward_types = {(value or "").strip().lower() for value in data.reward_types or []}
    unknown = sorted(reward_types - set(REWARD_TYPES))
    if unknown:
        errors.append(
            FieldError(
                "reward_types", "INVALID_REWARD_TYPE", f"unknown {', '.join(unknown)}; expected some of {', '.join(REWARD_TYPES)}"
            )
        )
    if not reward_types:
        errors.append(FieldError("reward_types", "REQUIRED", "name at least one reward type"))
    audience_fit = (data.audience_fit or "").strip()
    if len(audience_fit) > MAX_AUDIENCE_FIT:
        errors.append(FieldError("audience_fit", "TOO_LONG", f"at most {MAX_AUDIENCE_FIT} characters"))
    contacts = _clean_contacts(list(data.contacts or []), errors)
    if errors:
        raise DomainError(errors)
    return {
        "name": name,
        "name_key": name.casefold(),
        "source": source,
        "category": category,
        "countries": sorted(countries),
        "reward_types": [kind for kind in REWARD_TYPES if kind in reward_types],
        "audience_fit": audience_fit,
        "contacts": contacts,
    }


async def _name_taken(name_key: str, except_id: uuid.UUID | None = None) -> bool:
    query = Partner.exists().where(Partner.name_key == name_key)
    if except_id is not None:
        query = query.where(Partner.id != except_id)
    return await query


def _audit_view(partner: PartnerView) -> dict:
    data = asdict(partner)
    for key in ("id", "created_at", "updated_at"):
        data.pop(key)
    return data


async def create_partner(actor: Actor, data: PartnerProfileInput) -> PartnerView:
    """A new partner, status ``onboarding``, at the first stage (profiling). NAME_TAKEN if the name
    (case-insensitively) belongs to another partner."""
    actor.require(Permission.PARTNERS_WRITE)
    values = validate_profile(data)
    partner_id, now = new_id(), utcnow()
    async with write_transaction():
        if await _name_taken(values["name_key"]):
            raise DomainError.single("NAME_TAKEN", f"a partner named {values['name']} already exists", field="name")
        await Partner.insert(
            Partner(
                id=partner_id,
                status=ONBOARDING,
                created_at=now,
                updated_at=now,
                created_by=actor.id,
                created_by_label=actor.label,
                **values,
            )
        )
        partner = partner_view(await partner_row(partner_id))
        await audit.record(actor, "partner.created", "partner", partner_id, after=_audit_view(partner))
    return partner


async def update_partner_profile(actor: Actor, partner_id: uuid.UUID, data: PartnerProfileInput) -> PartnerView:
    """Replace the profile; the status is changed only by the workflow. An offboarded partner is frozen."""
    actor.require(Permission.PARTNERS_WRITE)
    values = validate_profile(data)
    async with write_transaction():
        before = partner_view(await partner_row(partner_id))
        if before.status == OFFBOARDED:
            raise DomainError.single("PARTNER_OFFBOARDED", f"{before.name} is offboarded; its profile is frozen")
        if await _name_taken(values["name_key"], except_id=partner_id):
            raise DomainError.single("NAME_TAKEN", f"a partner named {values['name']} already exists", field="name")
        await Partner.update(
            {**{getattr(Partner, key): value for key, value in values.items()}, Partner.updated_at: utcnow()}
        ).where(Partner.id == partner_id)
        after = partner_view(await partner_row(partner_id))
        if _audit_view(after) != _audit_view(before):
            await audit.record(
                actor, "partner.updated", "partner", partner_id, before=_audit_view(before), after=_audit_view(after)
            )
    return after


async def _change_status(
    actor: Actor, partner_id: uuid.UUID, allowed_from: tuple[str, ...], to: str, action: str, reason: str = ""
) -> PartnerView:
    actor.require(Permission.PARTNERS_WRITE)
    check_text("reason", reason, multiline=True)
    async with write_transaction():
        before = partner_view(await partner_row(partner_id))
        # Conditional update: a concurrent change of status makes this one find no row.
        changed = (
            await Partner.update({Partner.status: to, Partner.updated_at: utcnow()})
            .where(Partner.id == partner_id, Partner.status.is_in(list(allowed_from)))
            .returning(Partner.id)
        )
        if not changed:
            raise DomainError.single(
                "INVALID_STATUS_CHANGE",
                f"{before.name} is {before.status}; it can become {to} only from {' or '.join(allowed_from)}",
                field="status",
            )
        after = partner_view(await partner_row(partner_id))
        await audit.record(
            actor, action, "partner", partner_id, before={"status": before.status}, after={"status": to, "reason": reason}
        )
    return after


async def pause_partner(actor: Actor, partner_id: uuid.UUID, reason: str = "") -> PartnerView:
    """live → paused: its offers stop being available, without changing their own status."""
    return await _change_status(actor, partner_id, (LIVE,), PAUSED, "partner.paused", reason)


async def resume_partner(actor: Actor, partner_id: uuid.UUID, reason: str = "") -> PartnerView:
    """paused → live."""
    return await _change_status(actor, partner_id, (PAUSED,), LIVE, "partner.resumed", reason)


async def offboard_partner(actor: Actor, partner_id: uuid.UUID, reason: str) -> PartnerView:
    """Any status → offboarded, for good. A reason is required for the trail."""
    if not (reason or "").strip():
        raise DomainError.single("REASON_REQUIRED", "say why the partner is offboarded", field="reason")
    return await _change_status(actor, partner_id, (ONBOARDING, LIVE, PAUSED), OFFBOARDED, "partner.offboarded", reason.strip())


async def get_partner(actor: Actor, partner_id: uuid.UUID) -> PartnerView:
    actor.require(Permission.CATALOG_READ)
    return partner_view(await partner_row(partner_id))


async def partners_by_ids(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, PartnerView]:
    """One query for many ids (GraphQL DataLoaders)."""
    actor.require(Permission.CATALOG_READ)
    rows = await Partner.select().where(Partner.id.is_in(list(ids))) if ids else []
    return {row["id"]: partner_view(row) for row in rows}


def _serves_country(country: str):
    if current_engine().engine_type == "sqlite":
        return WhereRaw('EXISTS (SELECT 1 FROM json_each("countries") WHERE value = {})', country)
    return WhereRaw('EXISTS (SELECT 1 FROM json_array_elements_text("countries") AS served WHERE served = {})', country)


def _filtered(query, partner_filter: PartnerFilter):
    for name in ("search", "status", "source", "category", "country"):
        check_text(name, getattr(partner_filter, name))
    if partner_filter.search and partner_filter.search.strip():
        query = query.where(icontains(Partner.name, partner_filter.search.strip()))
    if partner_filter.status:
        if partner_filter.status not in PARTNER_STATUSES:
            raise DomainError.single("INVALID_STATUS", f"expected one of {', '.join(PARTNER_STATUSES)}", field="status")
        query = query.where(Partner.status == partner_filter.status)
    if partner_filter.source:
        query = query.where(Partner.source == partner_filter.source)
    if partner_filter.category:
        query = query.where(Partner.category == partner_filter.category.strip().lower())
    if partner_filter.country:
        query = query.where(_serves_country(country_code(partner_filter.country)))
    return query


async def list_partners(actor: Actor, partner_filter: PartnerFilter = PartnerFilter(), offset: int = 0, limit: int = 50) -> Page:
    """Filtered and paged in the database, by name."""
    actor.require(Permission.CATALOG_READ)
    rows = (
        await _filtered(Partner.select(), partner_filter)
        .order_by(Partner.name_key)
        .order_by(Partner.id)
        .offset(max(offset, 0))
        .limit(max(1, min(limit, 200)))
    )
    return Page(rows=[partner_view(row) for row in rows], total=await _filtered(Partner.count(), partner_filter))


async def partners_after(
    actor: Actor, partner_filter: PartnerFilter, after_id: uuid.UUID | None, limit: int
) -> list[PartnerView]:
    """Keyset page in id (creation) order, for cursor pagination."""
    actor.require(Permission.CATALOG_READ)
    query = _filtered(Partner.select(), partner_filter)
    if after_id is not None:
        query = query.where(Partner.id > after_id)
    return [partner_view(row) for row in await query.order_by(Partner.id).limit(max(1, min(limit, 201)))]


async def distinct_categories(actor: Actor) -> list[str]:
    actor.require(Permission.CATALOG_READ)
    rows = await Partner.select(Partner.category).distinct().order_by(Partner.category)
    return [row["category"] for row in rows]
