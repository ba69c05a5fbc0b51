"""Programme use cases: create, list, read. The only writer of the programmes table."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from decimal import Decimal

from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.ids import new_id
from backend.core.text import text_error
from backend.core.views import Page
from backend.recipients.services.validation import MAX_PROGRAMME_NAME, normalise_currency, parse_point_value
from backend.recipients.services.views import ProgrammeView, programme_view
from backend.recipients.tables import Programme


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
        programme = programme_view(await Programme.select().where(Programme.id == programme_id).first())
        await audit.record(actor, "programme.created", "programme", programme_id, after=asdict(programme))
    return programme


async def list_programmes(actor: Actor, offset: int = 0, limit: int = 50) -> Page:
    actor.require(Permission.RECIPIENTS_READ)
    rows = await Programme.select().order_by(Programme.name).offset(offset).limit(max(1, min(limit, 200)))
    return Page(rows=[programme_view(row) for row in rows], total=await Programme.count())


async def programmes_after(actor: Actor, after_id: uuid.UUID | None, limit: int) -> list[ProgrammeView]:
    """Keyset page in id (creation) order, for cursor pagination."""
    actor.require(Permission.RECIPIENTS_READ)
    query = Programme.select()
    if after_id is not None:
        query = query.where(Programme.id > after_id)
    rows = await query.order_by(Programme.id).limit(max(1, min(limit, 201)))
    return [programme_view(row) for row in rows]


async def count_programmes(actor: Actor) -> int:
    actor.require(Permission.RECIPIENTS_READ)
    return await Programme.count()


async def get_programme(actor: Actor, programme_id: uuid.UUID) -> ProgrammeView:
    actor.require(Permission.RECIPIENTS_READ)
    row = await Programme.select().where(Programme.id == programme_id).first()
    if row is None:
        raise NotFound("programme", programme_id)
    return programme_view(row)
