"""Recipient and programme use cases. The only writer of these tables."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from cachetools import LRUCache
from piccolo.columns.combination import WhereRaw

from backend.core import audit, contact_points, iso_codes, money, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import current_engine, icontains, write_transaction
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.ids import new_id
from backend.core.sql import Row
from backend.core.text import check_text, json_text_error, text_error
from backend.core.views import Page
from backend.recipients.tables import Programme, Recipient

CHANNELS = ("email", "sms", "whatsapp")
_HR_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_HR_ATTRIBUTES = 50
MAX_EXTERNAL_ID = 100  # the columns' lengths
MAX_FULL_NAME = 200
MAX_PROGRAMME_NAME = 120

# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class ProgrammeView:
    id: uuid.UUID
    name: str
    description: str
    currency: str
    point_value_micros: int
    status: str
    created_at: datetime

    @property
    def point_value(self) -> Decimal:
        """Value of one point in the currency's major unit, exact."""
        return (Decimal(self.point_value_micros) / Decimal(1_000_000)).normalize()


@dataclass(frozen=True)
class RecipientView:
    id: uuid.UUID
    external_id: str
    full_name: str
    email: str | None
    phone: str | None
    whatsapp: str | None
    country: str | None
    preferred_channel: str
    hr_attributes: dict
    source_system: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass
class RecipientInput:
    external_id: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    country: str | None = None
    preferred_channel: str = "email"
    hr_attributes: dict = field(default_factory=dict)
    source_system: str = "manual"


@dataclass(frozen=True)
class UpsertResult:
    recipient: RecipientView
    created: bool


def _programme_view(row: dict) -> ProgrammeView:
    return ProgrammeView(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        currency=row["currency"],
        point_value_micros=row["point_value_micros"],
        status=row["status"],
        created_at=as_utc(row["created_at"]),
    )


def _recipient_view(row: dict) -> RecipientView:
    hr = row["hr_attributes"]
    return RecipientView(
        id=row["id"],
        external_id=row["external_id"],
        full_name=row["full_name"],
        email=row["email"],
        phone=row["phone"],
        whatsapp=row["whatsapp"],
        country=row["country"],
        preferred_channel=row["preferred_channel"],
        hr_attributes=json.loads(hr) if isinstance(hr, str) else (hr or {}),
        source_system=row["source_system"],
        status=row["status"],
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
    )


# ---------------------------------------------------------------- validation


def normalise_country(value: str | None, field_name: str = "country") -> str | None:
    return iso_codes.country_code(value, field_name) if value and value.strip() else None


def normalise_phone(value: str | None, country: str | None, field_name: str) -> str | None:
    """E.164, e.g. +919812345678. A number without '+' is read in the recipient's country."""
    return contact_points.phone_number(value, country, field_name) if value and value.strip() else None


def normalise_email(value: str | None) -> str | None:
    return contact_points.email_address(value) if value and value.strip() else None


def normalise_currency(value: str) -> str:
    return money.currency(value)


def parse_point_value(value: str | Decimal | int) -> int:
    """'0.25' → 250_000 micros. Rejects floats' imprecision by taking text or Decimal only."""
    if value is None or not str(value).strip():
        raise DomainError.single("REQUIRED", "the value of one point is required, e.g. 0.25", field="point_value")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError.single("INVALID_POINT_VALUE", f"'{value}' is not a number", field="point_value") from None
    if not amount.is_finite():
        raise DomainError.single("INVALID_POINT_VALUE", f"'{value}' is not a number", field="point_value")
    micros = amount * 1_000_000
    if amount <= 0 or micros != micros.to_integral_value():
        raise DomainError.single(
            "INVALID_POINT_VALUE", "the value of one point must be positive with at most 6 decimals", field="point_value"
        )
    return int(micros)


def validate_recipient(data: RecipientInput, *, contacts: contact_points.ContactPoints | None = None) -> RecipientInput:
    """Collect every problem at once, so a person fixes a record in one go. ``contacts``: the
    record's country, email, phone and whatsapp already normalised by ``contact_points.contact_points``
    (bulk uploads do that in batches, off the event loop); by default they are normalised here."""
    text_errors = [
        error
        for error in (
            text_error("external_id", data.external_id),
            text_error("full_name", (data.full_name or "").strip(), MAX_FULL_NAME),
            *(text_error(name, getattr(data, name)) for name in ("email", "phone", "whatsapp", "country")),
            text_error("preferred_channel", data.preferred_channel),
            text_error("source_system", data.source_system),
            json_text_error("hr_attributes", data.hr_attributes),
        )
        if error
    ]
    if text_errors:  # values no other rule can read
        raise DomainError(text_errors)
    errors: list[FieldError] = []
    external_id = (data.external_id or "").strip()
    if not external_id:
        errors.append(FieldError("external_id", "REQUIRED", "external id is required"))
    elif len(external_id) > MAX_EXTERNAL_ID:
        errors.append(FieldError("external_id", "TOO_LONG", f"external id is at most {MAX_EXTERNAL_ID} characters"))
    full_name = (data.full_name or "").strip()
    if not full_name:
        errors.append(FieldError("full_name", "REQUIRED", "name is required"))
    if contacts is None:
        contacts = contact_points.contact_points(data.country, data.email, data.phone, data.whatsapp)
    errors.extend(contacts.errors)
    country, email, phone, whatsapp = contacts.country, contacts.email, contacts.phone, contacts.whatsapp
    channel = (data.preferred_channel or "email").strip().lower()
    if channel not in CHANNELS:
        errors.append(FieldError("preferred_channel", "INVALID_CHANNEL", f"expected one of {', '.join(CHANNELS)}"))
    else:
        # WhatsApp goes to the phone unless the person has a separate WhatsApp number.
        contact = {
            "email": email or data.email,
            "sms": phone or data.phone,
            "whatsapp": whatsapp or data.whatsapp or phone or data.phone,
        }[channel]
        if not contact:
            errors.append(
                FieldError(
                    "preferred_channel",
                    "MISSING_CONTACT",
                    f"preferred channel {channel} needs a {'phone number' if channel == 'sms' else channel + ' address' if channel == 'email' else 'WhatsApp number or a phone number'}",
                )
            )
    hr = data.hr_attributes or {}
    if not isinstance(hr, dict):
        errors.append(FieldError("hr_attributes", "INVALID", "HR attributes must be an object of key → value"))
        hr = {}
    elif len(hr) > MAX_HR_ATTRIBUTES:
        errors.append(FieldError("hr_attributes", "TOO_MANY", f"at most {MAX_HR_ATTRIBUTES} HR attributes"))
    bad_keys = [key for key in hr if not _HR_KEY.match(str(key))]
    if bad_keys:
        errors.append(
            FieldError("hr_attributes", "INVALID_KEY", f"keys must be lower_snake_case: {', '.join(map(str, bad_keys))}")
        )
    bad_values = [key for key, value in hr.items() if not isinstance(value, (str, int, bool)) or isinstance(value, float)]
    if bad_values:
        errors.append(
            FieldError(
                "hr_attributes",
                "INVALID_VALUE",
                f"values must be text, whole numbers or booleans: {', '.join(map(str, bad_values))}",
            )
        )
    if errors:
        raise DomainError(errors)
    return RecipientInput(
        external_id=external_id,
        full_name=full_name,
        email=email,
        phone=phone,
        whatsapp=whatsapp,
        country=country,
        preferred_channel=channel,
        hr_attributes=dict(hr),
        source_system=(data.source_system or "manual").strip()[:50] or "manual",
    )


# ---------------------------------------------------------------- programmes


async def create_programme(
    actor: Actor, name: str, currency: str, point_value: str | Decimal, description: str = ""
) -> ProgrammeView:
    actor.require(Permission.PROGRAMMES_WRITE)
    errors: list[FieldError] = []
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("name", "REQUIRED", "a programme needs a name"))
    for error in (
        text_error("name", name, MAX_PROGRAMME_NAME),
        text_error("description", description, multiline=True),
        text_error("currency", currency),
        text_error("point_value", point_value if isinstance(point_value, str) else None),
    ):
        if error:
            raise DomainError(error)
    for fn, arg in ((normalise_currency, currency), (parse_point_value, point_value)):
        try:
            fn(arg)
        except DomainError as error:
            errors.extend(error.errors)
    if errors:
        raise DomainError(errors)
    now = utcnow()
    programme_id = new_id()
    async with write_transaction():
        if await Programme.exists().where(Programme.name == name):
            raise DomainError.single("NAME_TAKEN", f"a programme named {name} already exists", field="name")
        await Programme.insert(
            Programme(
                id=programme_id,
                name=name,
                description=description.strip(),
                currency=normalise_currency(currency),
                point_value_micros=parse_point_value(point_value),
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
        programme = _programme_view(await Programme.select().where(Programme.id == programme_id).first())
        await audit.record(actor, "programme.created", "programme", programme_id, after=asdict(programme))
    return programme


async def list_programmes(actor: Actor, offset: int = 0, limit: int = 50) -> Page:
    actor.require(Permission.RECIPIENTS_READ)
    rows = await Programme.select().order_by(Programme.name).offset(offset).limit(max(1, min(limit, 200)))
    return Page(rows=[_programme_view(row) for row in rows], total=await Programme.count())


async def programmes_after(actor: Actor, after_id: uuid.UUID | None, limit: int) -> list[ProgrammeView]:
    """Keyset page in id (creation) order, for cursor pagination."""
    actor.require(Permission.RECIPIENTS_READ)
    query = Programme.select()
    if after_id is not None:
        query = query.where(Programme.id > after_id)
    rows = await query.order_by(Programme.id).limit(max(1, min(limit, 201)))
    return [_programme_view(row) for row in rows]


async def count_programmes(actor: Actor) -> int:
    actor.require(Permission.RECIPIENTS_READ)
    return await Programme.count()


async def get_programme(actor: Actor, programme_id: uuid.UUID) -> ProgrammeView:
    actor.require(Permission.RECIPIENTS_READ)
    row = await Programme.select().where(Programme.id == programme_id).first()
    if row is None:
        raise NotFound("programme", programme_id)
    return _programme_view(row)


# ---------------------------------------------------------------- recipients


async def upsert_recipient(actor: Actor, data: RecipientInput) -> UpsertResult:
    """Create or update by external id: sending the same record twice changes nothing the second time."""
    actor.require(Permission.RECIPIENTS_WRITE)
    clean = validate_recipient(data)
    values = {
        Recipient.full_name: clean.full_name,
        Recipient.email: clean.email,
        Recipient.phone: clean.phone,
        Recipient.whatsapp: clean.whatsapp,
        Recipient.country: clean.country,
        Recipient.preferred_channel: clean.preferred_channel,
        Recipient.hr_attributes: clean.hr_attributes,
        Recipient.source_system: clean.source_system,
    }
    now = utcnow()
    async with write_transaction():
        existing = await Recipient.select().where(Recipient.external_id == clean.external_id).first()
        if existing is None:
            recipient_id = new_id()
            await Recipient.insert(
                Recipient(
                    id=recipient_id,
                    external_id=clean.external_id,
                    status="active",
                    created_at=now,
                    updated_at=now,
                    **{column._meta.name: value for column, value in values.items()},
                )
            )
            recipient = _recipient_view(await Recipient.select().where(Recipient.id == recipient_id).first())
            await audit.record(actor, "recipient.created", "recipient", recipient_id, after=_audit_recipient(recipient))
            return UpsertResult(recipient=recipient, created=True)
        before = _recipient_view(existing)
        if _audit_recipient(before) == _audit_recipient(
            _recipient_view({**existing, **{c._meta.name: v for c, v in values.items()}})
        ):
            return UpsertResult(recipient=before, created=False)  # nothing changed: no write, no audit noise
        await Recipient.update({**values, Recipient.updated_at: now}).where(Recipient.id == before.id)
        after = _recipient_view(await Recipient.select().where(Recipient.id == before.id).first())
        await audit.record(
            actor, "recipient.updated", "recipient", before.id, before=_audit_recipient(before), after=_audit_recipient(after)
        )
        return UpsertResult(recipient=after, created=False)


def _audit_recipient(recipient: RecipientView) -> dict:
    data = asdict(recipient)
    for key in ("id", "created_at", "updated_at"):
        data.pop(key)
    return data


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
    return Page(rows=[_recipient_view(row) for row in rows], total=await _filtered(Recipient.count(), recipient_filter))


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
    return [_recipient_view(row) for row in rows]


async def count_recipients(actor: Actor, recipient_filter: RecipientFilter) -> int:
    actor.require(Permission.RECIPIENTS_READ)
    check_filter(recipient_filter)
    return await _filtered(Recipient.count(), recipient_filter)


async def get_recipient(actor: Actor, recipient_id: uuid.UUID | None = None, external_id: str | None = None) -> RecipientView:
    actor.require(Permission.RECIPIENTS_READ)
    check_text("external_id", external_id)
    # Plain SQL: every points call and issuance by external id comes through here (Piccolo's query
    # building was 8–9 % of an api worker's time on those paths).
    if recipient_id is not None:
        row = await sql.fetchrow("SELECT * FROM recipients WHERE id = $1", recipient_id)
    else:
        row = await sql.fetchrow("SELECT * FROM recipients WHERE external_id = $1", external_id or "")
    if row is None:
        raise NotFound("recipient", recipient_id or external_id, field="id" if recipient_id else "external_id")
    return _recipient_view(row)


# External id → recipient id, remembered per process and database: a recipient's external id is
# set when it is created and never changed (the upsert matches on it), and recipients are never
# deleted, so a pair read once stays true: bounded (least recently used goes), no expiry needed.
# Only committed rows are remembered (a read outside a transaction), never one a rolled-back
# transaction created. (The engine is kept with its map: tests switch databases, and a map is only
# true of its own.)
_IDS_BY_EXTERNAL_ID: tuple[object, LRUCache] = (None, LRUCache(maxsize=100_000))


async def recipient_id_by_external_id(actor: Actor, external_id: str) -> uuid.UUID:
    """The id of the recipient with ``external_id`` (NotFound if none): what a points call by
    external id needs, without a read once this process has seen it."""
    actor.require(Permission.RECIPIENTS_READ)
    check_text("external_id", external_id)
    global _IDS_BY_EXTERNAL_ID
    engine = current_engine()
    if _IDS_BY_EXTERNAL_ID[0] is not engine:
        _IDS_BY_EXTERNAL_ID = (engine, LRUCache(maxsize=100_000))
    known = _IDS_BY_EXTERNAL_ID[1]
    found = known.get(external_id)
    if found is not None:
        return found
    row = await sql.fetchrow("SELECT id FROM recipients WHERE external_id = $1", external_id)
    if row is None:
        raise NotFound("recipient", external_id, field="external_id")
    if engine.current_transaction.get() is None:
        known[external_id] = row["id"]
    return row["id"]


_ROWS_BY_EXTERNAL_IDS_PG = "SELECT * FROM recipients WHERE external_id = ANY($1::varchar[])"
_ROWS_BY_EXTERNAL_IDS_SQLITE = "SELECT * FROM recipients WHERE external_id IN (SELECT value FROM json_each($1))"


async def recipient_rows_by_external_id(external_ids: list[str], fetch=sql.fetch) -> dict[str, Row]:
    """The stored rows of the recipients among ``external_ids`` that exist, by external id: one
    query (one array parameter instead of a thousand placeholders), for a service of another
    domain that checked its own permission (bulk upload staging). ``fetch`` runs it: the current
    transaction's by default, or a reading connection the caller holds."""
    if not external_ids:
        return {}
    if sql.is_sqlite():
        rows = await fetch(_ROWS_BY_EXTERNAL_IDS_SQLITE, json.dumps(external_ids))
    else:
        rows = await fetch(_ROWS_BY_EXTERNAL_IDS_PG, external_ids)
    return {row["external_id"]: row for row in rows}


async def recipients_by_ids(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, RecipientView]:
    """One query for many ids (GraphQL DataLoaders)."""
    actor.require(Permission.RECIPIENTS_READ)
    rows = await Recipient.select().where(Recipient.id.is_in(ids)) if ids else []
    return {row["id"]: _recipient_view(row) for row in rows}


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


async def create_recipient(actor: Actor, data: RecipientInput) -> RecipientView:
    """A new recipient, validated as ``upsert_recipient`` validates it; EXTERNAL_ID_TAKEN (nothing
    changes) when the external id is someone's already: adding never overwrites a person."""
    actor.require(Permission.RECIPIENTS_WRITE)
    clean = validate_recipient(data)
    async with write_transaction():
        if await Recipient.exists().where(Recipient.external_id == clean.external_id):
            raise DomainError.single(
                "EXTERNAL_ID_TAKEN", f"a recipient with external id {clean.external_id} already exists", field="external_id"
            )
        return (await upsert_recipient(actor, clean)).recipient
