"""Recipient use cases: create or update by external id, read one or many. The only writer of the recipients table."""

from __future__ import annotations

import json
import uuid

from cachetools import LRUCache

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import current_engine, write_transaction
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.sql import Row
from backend.core.text import check_text
from backend.recipients.services.validation import validate_recipient
from backend.recipients.services.views import RecipientInput, RecipientView, UpsertResult, audit_recipient, recipient_view
from backend.recipients.tables import Recipient


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
            recipient = recipient_view(await Recipient.select().where(Recipient.id == recipient_id).first())
            await audit.record(actor, "recipient.created", "recipient", recipient_id, after=audit_recipient(recipient))
            return UpsertResult(recipient=recipient, created=True)
        before = recipient_view(existing)
        if audit_recipient(before) == audit_recipient(
            recipient_view({**existing, **{c._meta.name: v for c, v in values.items()}})
        ):
            return UpsertResult(recipient=before, created=False)  # nothing changed: no write, no audit noise
        await Recipient.update({**values, Recipient.updated_at: now}).where(Recipient.id == before.id)
        after = recipient_view(await Recipient.select().where(Recipient.id == before.id).first())
        await audit.record(
            actor, "recipient.updated", "recipient", before.id, before=audit_recipient(before), after=audit_recipient(after)
        )
        return UpsertResult(recipient=after, created=False)


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
    return recipient_view(row)


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
    return {row["id"]: recipient_view(row) for row in rows}


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
