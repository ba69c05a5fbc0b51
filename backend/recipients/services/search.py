"""Finding recipients: filters, sorted and keyset pages, counts, and the values filters offer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from piccolo.columns.combination import WhereRaw

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.db import icontains
from backend.core.text import check_text
from backend.core.views import Page
from backend.recipients.services.views import RecipientView, recipient_view
from backend.recipients.tables import Recipient


@dataclass(frozen=True)
class RecipientFilter:
    search: str | None = None  # name, email or external id, substring
    country: str | None = None
    source_system: str | None = None
    status: str | None = None
    attribute: str | None = None  # an HR attribute's name, matched with ``attribute_value``
    attribute_value: str | None = None  # compared as text, case-insensitively ("7" matches 7)


def check_filter(recipient_filter: RecipientFilter) -> None:
    """Refuses a filter text no recipient can hold (INVALID_CHARACTERS)."""
    for name in ("search", "country", "source_system", "status", "attribute", "attribute_value"):
        check_text(name, getattr(recipient_filter, name))


def _attribute_is(name: str, value: str) -> WhereRaw:
    """An HR attribute equal to a text, name and value bound (never spliced into the SQL)."""
    if sql.is_sqlite():
        return WhereRaw("""lower(CAST(json_extract(hr_attributes, '$."' || {} || '"') AS TEXT)) = lower({})""", name, value)
    return WhereRaw("lower(hr_attributes::jsonb ->> {}) = lower({})", name, value)


def _filtered(query, recipient_filter: RecipientFilter):
    if recipient_filter.search and recipient_filter.search.strip():
        term = recipient_filter.search.strip()
        query = query.where(
            icontains(Recipient.full_name, term) | icontains(Recipient.email, term) | icontains(Recipient.external_id, term)
        )
    if recipient_filter.country:
        query = query.where(Recipient.country == recipient_filter.country.upper())
    if recipient_filter.source_system:
        query = query.where(Recipient.source_system == recipient_filter.source_system)
    if recipient_filter.status:
        query = query.where(Recipient.status == recipient_filter.status)
    if recipient_filter.attribute and recipient_filter.attribute_value not in (None, ""):
        query = query.where(_attribute_is(recipient_filter.attribute, str(recipient_filter.attribute_value).strip()))
    return query


RECIPIENT_SORT_KEYS = ("full_name", "external_id", "email", "country", "source_system", "created_at")


async def search_recipients(
    actor: Actor,
    recipient_filter: RecipientFilter,
    offset: int = 0,
    limit: int = 50,
    *,
    sort_by: str = "full_name",
    descending: bool = False,
) -> Page:
    """``sort_by`` is one of RECIPIENT_SORT_KEYS; ties are broken by id so pages never overlap."""
    actor.require(Permission.RECIPIENTS_READ)
    check_filter(recipient_filter)
    order = getattr(Recipient, sort_by if sort_by in RECIPIENT_SORT_KEYS else "full_name")
    rows = (
        await _filtered(Recipient.select(), recipient_filter)
        .order_by(order, ascending=not descending)
        .order_by(Recipient.id)
        .offset(offset)
        .limit(max(1, min(limit, 200)))
    )
    return Page(rows=[recipient_view(row) for row in rows], total=await _filtered(Recipient.count(), recipient_filter))


async def recipients_after(
    actor: Actor, recipient_filter: RecipientFilter, after_id: uuid.UUID | None, limit: int
) -> list[RecipientView]:
    """Keyset page in id order (for cursor pagination): cost does not grow with the page number."""
    actor.require(Permission.RECIPIENTS_READ)
    check_filter(recipient_filter)
    query = _filtered(Recipient.select(), recipient_filter)
    if after_id is not None:
        query = query.where(Recipient.id > after_id)
    rows = await query.order_by(Recipient.id).limit(max(1, min(limit, 201)))
    return [recipient_view(row) for row in rows]


async def count_recipients(actor: Actor, recipient_filter: RecipientFilter) -> int:
    actor.require(Permission.RECIPIENTS_READ)
    check_filter(recipient_filter)
    return await _filtered(Recipient.count(), recipient_filter)


async def distinct_source_systems(actor: Actor) -> list[str]:
    actor.require(Permission.RECIPIENTS_READ)
    rows = await Recipient.select(Recipient.source_system).distinct().order_by(Recipient.source_system)
    return [row["source_system"] for row in rows]


async def distinct_countries(actor: Actor) -> list[str]:
    """The countries recipients live in (ISO 3166 alpha-2), for filters."""
    actor.require(Permission.RECIPIENTS_READ)
    rows = await Recipient.select(Recipient.country).where(Recipient.country.is_not_null()).distinct().order_by(Recipient.country)
    return [row["country"] for row in rows]


_ATTRIBUTE_NAMES = {
    "sqlite": "SELECT DISTINCT key AS name FROM recipients, json_each(recipients.hr_attributes) ORDER BY name LIMIT 200",
    "postgres": "SELECT DISTINCT jsonb_object_keys(hr_attributes::jsonb) AS name FROM recipients ORDER BY name LIMIT 200",
}


async def attribute_names(actor: Actor) -> list[str]:
    """The HR attribute names recipients carry (for the list's attribute filter), first 200 by name."""
    actor.require(Permission.RECIPIENTS_READ)
    rows = await sql.fetch(_ATTRIBUTE_NAMES["sqlite" if sql.is_sqlite() else "postgres"])
    return [row["name"] for row in rows]
