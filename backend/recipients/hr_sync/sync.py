"""Writing a sync: rows mapped (``mapping``), checked and upserted in batches, with the report."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.db_errors import is_unique_violation
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.text import check_text, text_error
from backend.recipients.hr_sync.mapping import FieldMapping, MappedRow, SourceSystem, map_row, mapping_for, merged_input, text_of
from backend.recipients.services.validation import validate_recipient
from backend.recipients.services.views import RecipientInput, audit_recipient, recipient_view
from backend.recipients.tables import Recipient

BATCH = 500
MAX_ROWS = 50_000


@dataclass(frozen=True)
class RejectedRecipientRow:
    row_number: int  # 1 = the first row (for a CSV file: the first line after the header)
    external_id: str | None
    field: str | None  # the target field at fault, as RecipientInput names it
    reason: str


@dataclass(frozen=True)
class SyncReport:
    created: int
    updated: int
    unchanged: int
    rejected: tuple[RejectedRecipientRow, ...]
    source_system: str
    rows_read: int


# ---------------------------------------------------------------- writing a batch


_UPDATE = """UPDATE recipients SET full_name = $1, email = $2, phone = $3, whatsapp = $4, country = $5, preferred_channel = $6,
    hr_attributes = $7, source_system = $8, updated_at = $9 WHERE id = $10"""


def _columns(clean: RecipientInput) -> dict:
    return {
        "full_name": clean.full_name,
        "email": clean.email,
        "phone": clean.phone,
        "whatsapp": clean.whatsapp,
        "country": clean.country,
        "preferred_channel": clean.preferred_channel,
        "hr_attributes": clean.hr_attributes,
        "source_system": clean.source_system,
    }


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRecipientRow] = field(default_factory=list)


async def _write_batch(actor: Actor, batch: list[MappedRow], mapping: FieldMapping, source_system: str) -> _Tally:
    tally = _Tally()
    external_ids = [row.fields["external_id"] for row in batch]
    async with write_transaction():
        existing = {row["external_id"]: row for row in await Recipient.select().where(Recipient.external_id.is_in(external_ids))}
        now = utcnow()
        inserts = []
        for row in batch:
            external_id = row.fields["external_id"]
            stored = existing.get(external_id)
            try:
                clean = validate_recipient(merged_input(row, mapping, stored, source_system))
            except DomainError as refusal:
                tally.rejected += [
                    RejectedRecipientRow(row.number, external_id, error.field, error.message) for error in refusal.errors
                ]
                continue
            values = _columns(clean)
            if stored is None:
                recipient_id = new_id()
                inserts.append(
                    Recipient(
                        id=recipient_id, external_id=clean.external_id, status="active", created_at=now, updated_at=now, **values
                    )
                )
                view = recipient_view(
                    {
                        **values,
                        "id": recipient_id,
                        "external_id": clean.external_id,
                        "status": "active",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                sql.defer(audit.entry(actor, "recipient.created", "recipient", recipient_id, after=audit_recipient(view)))
                tally.created += 1
                continue
            before = recipient_view(stored)
            after = recipient_view({**stored, **values, "hr_attributes": json.dumps(values["hr_attributes"]), "updated_at": now})
            if audit_recipient(after) == audit_recipient(before):
                tally.unchanged += 1  # nothing changed: no write, no audit noise
                continue
            sql.defer(
                sql.Statement(
                    _UPDATE,
                    (
                        *[
                            values[name] if name != "hr_attributes" else json.dumps(values[name])
                            for name in (
                                "full_name",
                                "email",
                                "phone",
                                "whatsapp",
                                "country",
                                "preferred_channel",
                                "hr_attributes",
                                "source_system",
                            )
                        ],
                        now,
                        before.id,
                    ),
                    row=("recipients", before.id),
                )
            )
            sql.defer(
                audit.entry(
                    actor,
                    "recipient.updated",
                    "recipient",
                    before.id,
                    before=audit_recipient(before),
                    after=audit_recipient(after),
                )
            )
            tally.updated += 1
        if inserts:
            await Recipient.insert(*inserts)
        await sql.flush()
    return tally


async def _write_batch_retrying(actor: Actor, batch: list[MappedRow], mapping: FieldMapping, source_system: str) -> _Tally:
    """A concurrent sync may create one of the batch's recipients first: read again and write it as an update."""
    try:
        return await _write_batch(actor, batch, mapping, source_system)
    except Exception as error:
        if not is_unique_violation(error):
            raise
        sql.discard()
        return await _write_batch(actor, batch, mapping, source_system)


def screen_row(
    number: int, row: object, mapping: FieldMapping, today, seen: dict[str, int]
) -> MappedRow | list[RejectedRecipientRow]:
    """One row read through the mapping, or why it is refused before any lookup: not an object, a
    bad hire date, no or a malformed external id, a duplicate of an earlier row (``seen``: external
    id → its first row number, updated here). The console's import review screens rows the same way."""
    if not isinstance(row, Mapping):
        return [RejectedRecipientRow(number, None, None, "a row is an object of column → value")]
    try:
        mapped = map_row(number, row, mapping, today)
    except DomainError as refusal:
        external_id = _first_external_id(row, mapping)
        return [RejectedRecipientRow(number, external_id, error.field, error.message) for error in refusal.errors]
    external_id = mapped.fields.get("external_id")
    if not external_id:
        return [RejectedRecipientRow(number, None, "external_id", "external id is required")]
    bad_text = text_error("external_id", external_id)
    if bad_text:  # before the batch looks it up: PostgreSQL cannot even compare it
        return [RejectedRecipientRow(number, None, "external_id", bad_text.message)]
    if external_id in seen:
        return [RejectedRecipientRow(number, external_id, "external_id", f"duplicate of row {seen[external_id]}")]
    seen[external_id] = number
    return mapped


# ---------------------------------------------------------------- the sync


async def sync_recipients(
    actor: Actor,
    preset_or_mapping: SourceSystem | str | FieldMapping,
    rows: Iterable[Mapping[str, object]],
    source_system: str | None = None,
) -> SyncReport:
    """Upsert recipients from ``rows`` (dicts of source column → value) through a preset or a
    mapping. ``source_system`` is what recipients record as their source (default: the preset's
    name, or ``custom``). Returns the counts and every rejected row with its reason."""
    actor.require(Permission.RECIPIENTS_WRITE)
    if isinstance(preset_or_mapping, FieldMapping):
        mapping, default_source = preset_or_mapping, SourceSystem.CUSTOM.value
    else:
        mapping = mapping_for(preset_or_mapping)
        default_source = SourceSystem(preset_or_mapping).value
    check_text("source_system", source_system)
    source = (source_system or default_source).strip()[:50] or default_source
    today = utcnow().date()
    total, rows_read, seen = _Tally(), 0, {}
    batch: list[MappedRow] = []

    async def flush_batch() -> None:
        nonlocal batch
        if batch:
            written = await _write_batch_retrying(actor, batch, mapping, source)
            total.created += written.created
            total.updated += written.updated
            total.unchanged += written.unchanged
            total.rejected += written.rejected
            batch = []

    for number, row in enumerate(rows, start=1):
        rows_read = number
        if number > MAX_ROWS:
            raise DomainError.single("TOO_MANY_ROWS", f"a sync takes at most {MAX_ROWS:,} rows: split it", field="rows")
        mapped = screen_row(number, row, mapping, today, seen)
        if not isinstance(mapped, MappedRow):
            total.rejected += mapped
            continue
        batch.append(mapped)
        if len(batch) >= BATCH:
            await flush_batch()
    await flush_batch()
    rejected = tuple(sorted(total.rejected, key=lambda rejection: rejection.row_number))
    report = SyncReport(
        created=total.created,
        updated=total.updated,
        unchanged=total.unchanged,
        rejected=rejected,
        source_system=source,
        rows_read=rows_read,
    )
    async with write_transaction():
        await audit.record(
            actor,
            "recipients.synced",
            "recipient_sync",
            new_id(),
            after={
                "source_system": source,
                "rows_read": report.rows_read,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": len({rejection.row_number for rejection in rejected}),
            },
        )
    return report


def _first_external_id(row: Mapping[str, object], mapping: FieldMapping) -> str | None:
    return next(
        (text_of(row.get(column)) for column, target in mapping.columns if target == "external_id" and text_of(row.get(column))),
        None,
    )
