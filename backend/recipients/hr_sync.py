"""HR sync: bulk recipient upserts from an HR system's export, through a field mapping.

A mapping says which source column feeds which target: a recipient field (``external_id``,
``full_name``, ``first_name`` + ``last_name``, ``email``, ``phone``, ``whatsapp``, ``country``,
``preferred_channel``) or an HR attribute (any other lower_snake_case name, e.g. ``department``).
Presets carry the column names Workday, SAP SuccessFactors and Darwinbox really export; a custom
mapping is a dict ``{source column: target}``. When several columns feed one target (Workday's
``Preferred_Name`` and ``Legal_Name``), the first non-empty one in mapping order wins.

The attributes the eligibility rules read (``backend.catalog.eligibility``) come out under their
rule names: ``department``, ``grade`` (a whole number when the export has one), ``business_unit``,
``location``, ``country`` (a recipient column) and ``tenure``: whole years since ``hire_date``,
as of the sync (a sync keeps it fresh; the hire date itself is kept as ``hire_date``, ISO).

A sync owns what it maps: on an existing recipient, the fields and HR attributes the mapping
covers are replaced (cleared when the row leaves them empty) and the rest are kept, so a
WhatsApp number or a preferred channel set elsewhere survives a Workday sync. Each row is
checked by ``validate_recipient``; a bad row is rejected with its number, field and reason and
the others go on. Rows are written in batches, each in one write transaction: one read of the
batch's existing recipients, one INSERT of the new ones, the changed ones updated and audited
(as ``upsert_recipient`` does) in one round trip on PostgreSQL. A row identical to what is stored
writes nothing. One audit entry per sync records the counts.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.db_errors import is_unique_violation
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.recipients.service import RecipientInput, _audit_recipient, _recipient_view, validate_recipient
from backend.recipients.tables import Recipient

BATCH = 500
MAX_ROWS = 50_000
MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 200

RECIPIENT_TARGETS = ("external_id", "full_name", "email", "phone", "whatsapp", "country", "preferred_channel")
NAME_PARTS = ("first_name", "last_name")
HIRE_DATE = "hire_date"
TENURE = "tenure"
# HR attributes that rules compare as numbers: "5" in the export becomes 5.
NUMERIC_ATTRIBUTES = frozenset({"grade", "job_level"})
_HR_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_WHOLE_NUMBER = re.compile(r"^-?[0-9]{1,15}$")
_ODATA_DATE = re.compile(r"^/Date\((-?[0-9]{1,15})([+-][0-9]{4})?\)/$")


class SourceSystem(str, enum.Enum):
    WORKDAY = "workday"
    SUCCESSFACTORS = "successfactors"
    DARWINBOX = "darwinbox"
    CUSTOM = "custom"


@dataclass(frozen=True)
class FieldMapping:
    """``columns``: (source column, target) in priority order. ``date_formats``: how the export
    writes dates (``strptime`` formats, tried in order; ISO 8601 always works)."""

    columns: tuple[tuple[str, str], ...]
    date_formats: tuple[str, ...] = ()

    @classmethod
    def custom(cls, mapping: Mapping[str, str], date_formats: tuple[str, ...] = ()) -> FieldMapping:
        """A client's own mapping ``{source column: target}``, checked: CUSTOM_MAPPING_INVALID otherwise."""
        errors = []
        columns = []
        for column, target in (mapping or {}).items():
            column, target = str(column).strip(), str(target or "").strip()
            if not column:
                errors.append(FieldError("mapping", "CUSTOM_MAPPING_INVALID", "a source column name is empty"))
            elif not _HR_KEY.match(target):
                errors.append(FieldError("mapping", "CUSTOM_MAPPING_INVALID",
                                         f"column '{column}' maps to '{target}': a target is a recipient field or a lower_snake_case HR attribute"))
            elif target == TENURE:
                errors.append(FieldError("mapping", "CUSTOM_MAPPING_INVALID", f"tenure is derived from {HIRE_DATE}: map a hire-date column to {HIRE_DATE}"))
            else:
                columns.append((column, target))
        targets = {target for _, target in columns}
        if not errors and "external_id" not in targets:
            errors.append(FieldError("mapping", "CUSTOM_MAPPING_INVALID", "map one column to external_id: it is how a recipient is matched"))
        if not errors and "full_name" not in targets and not set(NAME_PARTS) & targets:
            errors.append(FieldError("mapping", "CUSTOM_MAPPING_INVALID", "map a column to full_name (or first_name and last_name)"))
        if errors:
            raise DomainError(errors)
        return cls(columns=tuple(columns), date_formats=date_formats)

    @property
    def targets(self) -> frozenset[str]:
        return frozenset(target for _, target in self.columns)

    @property
    def hr_keys(self) -> frozenset[str]:
        """The HR attributes this mapping owns (and so replaces on every sync)."""
        keys = self.targets - set(RECIPIENT_TARGETS) - set(NAME_PARTS)
        return keys | {TENURE} if HIRE_DATE in keys else keys


# The column names of each system's standard worker export (Workday's "Worker" report, the
# SuccessFactors user data file, Darwinbox's employee master export).
PRESETS: dict[SourceSystem, FieldMapping] = {
    SourceSystem.WORKDAY: FieldMapping(columns=(
        ("Employee_ID", "external_id"),
        ("Preferred_Name", "full_name"), ("Legal_Name", "full_name"),
        ("Work_Email", "email"), ("Primary_Work_Email", "email"),
        ("Work_Phone", "phone"), ("Primary_Work_Phone", "phone"),
        ("Country", "country"), ("Location_Country", "country"),
        ("Business_Unit", "business_unit"),
        ("Supervisory_Organization", "department"), ("Department", "department"),
        ("Job_Level", "grade"), ("Management_Level", "management_level"), ("Job_Profile", "job_profile"),
        ("Location", "location"),
        ("Hire_Date", HIRE_DATE),
    ), date_formats=("%m/%d/%Y", "%d-%b-%Y")),
    SourceSystem.SUCCESSFACTORS: FieldMapping(columns=(
        ("userId", "external_id"),
        ("firstName", "first_name"), ("lastName", "last_name"),
        ("email", "email"),
        ("cellPhone", "phone"), ("businessPhone", "phone"),
        ("country", "country"),
        ("department", "department"), ("division", "business_unit"), ("location", "location"),
        ("jobCode", "job_code"), ("payGrade", "grade"),
        ("hireDate", HIRE_DATE),
    ), date_formats=("%m/%d/%Y",)),
    SourceSystem.DARWINBOX: FieldMapping(columns=(
        ("Employee ID", "external_id"),
        ("Employee Name", "full_name"),
        ("Official Email ID", "email"),
        ("Mobile Number", "phone"),
        ("Country", "country"),
        ("Department", "department"), ("Business Unit", "business_unit"),
        ("Grade", "grade"), ("Band", "band"), ("Designation", "designation"),
        ("Office Location", "location"),
        ("Date of Joining", HIRE_DATE),
    ), date_formats=("%d-%m-%Y", "%d-%b-%Y", "%d %b %Y", "%d/%m/%Y")),
}


def mapping_for(source: SourceSystem | str, custom: Mapping[str, str] | None = None) -> FieldMapping:
    """The preset of ``source``, or the custom mapping (``source`` CUSTOM needs one; a preset takes none)."""
    try:
        source = SourceSystem(source)
    except ValueError:
        raise DomainError.single("INVALID_SOURCE", f"expected one of {', '.join(s.value for s in SourceSystem)}", field="source") from None
    if source is SourceSystem.CUSTOM:
        if not custom:
            raise DomainError.single("CUSTOM_MAPPING_INVALID", "a CUSTOM sync needs a mapping {source column: target}", field="mapping")
        return FieldMapping.custom(custom)
    if custom:
        raise DomainError.single("CUSTOM_MAPPING_INVALID", f"{source.value} uses its preset: send a mapping only with CUSTOM", field="mapping")
    return PRESETS[source]


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


# ---------------------------------------------------------------- reading a row


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def parse_hr_date(value: str, formats: tuple[str, ...]) -> date:
    """ISO 8601 (a time part is ignored), SuccessFactors' OData ``/Date(ms)/``, or one of ``formats``."""
    odata = _ODATA_DATE.match(value)
    if odata:
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(odata.group(1)))).date()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    for pattern in formats:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def whole_years(since: date, today: date) -> int:
    return today.year - since.year - ((today.month, today.day) < (since.month, since.day))


@dataclass
class _MappedRow:
    number: int
    fields: dict[str, str] = field(default_factory=dict)  # recipient targets → text
    hr: dict[str, object] = field(default_factory=dict)


def _map_row(number: int, row: Mapping[str, object], mapping: FieldMapping, today: date) -> _MappedRow:
    mapped = _MappedRow(number)
    values: dict[str, str] = {}
    for column, target in mapping.columns:
        text = _text(row.get(column))
        if text and target not in values:
            values[target] = text
    for target, text in values.items():
        if target in RECIPIENT_TARGETS:
            mapped.fields[target] = text
        elif target in NAME_PARTS:
            continue
        elif target == HIRE_DATE:
            try:
                hired = parse_hr_date(text, mapping.date_formats)
            except ValueError:
                raise DomainError.single("INVALID_DATE", f"hire date '{text}' is not a date this export writes (e.g. 2019-03-15)",
                                         field=HIRE_DATE) from None
            if hired > today:
                mapped.hr[HIRE_DATE] = hired.isoformat()  # a joiner who starts later: no tenure yet
            else:
                mapped.hr.update({HIRE_DATE: hired.isoformat(), TENURE: whole_years(hired, today)})
        else:
            mapped.hr[target] = int(text) if target in NUMERIC_ATTRIBUTES and _WHOLE_NUMBER.match(text) else text
    if "full_name" not in mapped.fields:
        name = " ".join(values[part] for part in NAME_PARTS if part in values)
        if name:
            mapped.fields["full_name"] = name
    return mapped


def _merged(mapped: _MappedRow, mapping: FieldMapping, existing: dict | None, source_system: str) -> RecipientInput:
    """The whole record to validate: what the mapping covers from the row, the rest as stored."""
    stored = _recipient_view(existing) if existing is not None else None
    covered = mapping.targets | ({"full_name"} if set(NAME_PARTS) & mapping.targets else set())

    def pick(name: str, default):
        if name in covered:
            return mapped.fields.get(name, default if name == "preferred_channel" else None)
        return getattr(stored, name) if stored is not None else default

    hr = {key: value for key, value in (stored.hr_attributes if stored else {}).items() if key not in mapping.hr_keys}
    hr.update(mapped.hr)
    return RecipientInput(
        external_id=mapped.fields.get("external_id", ""), full_name=pick("full_name", ""), email=pick("email", None),
        phone=pick("phone", None), whatsapp=pick("whatsapp", None), country=pick("country", None),
        preferred_channel=pick("preferred_channel", "email") or "email", hr_attributes=hr, source_system=source_system,
    )


# ---------------------------------------------------------------- writing a batch


_UPDATE = """UPDATE recipients SET full_name = $1, email = $2, phone = $3, whatsapp = $4, country = $5, preferred_channel = $6,
    hr_attributes = $7, source_system = $8, updated_at = $9 WHERE id = $10"""


def _columns(clean: RecipientInput) -> dict:
    return {"full_name": clean.full_name, "email": clean.email, "phone": clean.phone, "whatsapp": clean.whatsapp,
            "country": clean.country, "preferred_channel": clean.preferred_channel, "hr_attributes": clean.hr_attributes,
            "source_system": clean.source_system}


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRecipientRow] = field(default_factory=list)


async def _write_batch(actor: Actor, batch: list[_MappedRow], mapping: FieldMapping, source_system: str) -> _Tally:
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
                clean = validate_recipient(_merged(row, mapping, stored, source_system))
            except DomainError as refusal:
                tally.rejected += [RejectedRecipientRow(row.number, external_id, error.field, error.message) for error in refusal.errors]
                continue
            values = _columns(clean)
            if stored is None:
                recipient_id = new_id()
                inserts.append(Recipient(id=recipient_id, external_id=clean.external_id, status="active", created_at=now,
                                         updated_at=now, **values))
                view = _recipient_view({**values, "id": recipient_id, "external_id": clean.external_id, "status": "active",
                                        "created_at": now, "updated_at": now})
                sql.defer(audit.entry(actor, "recipient.created", "recipient", recipient_id, after=_audit_recipient(view)))
                tally.created += 1
                continue
            before = _recipient_view(stored)
            after = _recipient_view({**stored, **values, "hr_attributes": json.dumps(values["hr_attributes"]), "updated_at": now})
            if _audit_recipient(after) == _audit_recipient(before):
                tally.unchanged += 1  # nothing changed: no write, no audit noise
                continue
            sql.defer(sql.Statement(_UPDATE, (*[values[name] if name != "hr_attributes" else json.dumps(values[name]) for name in (
                "full_name", "email", "phone", "whatsapp", "country", "preferred_channel", "hr_attributes", "source_system")], now,
                before.id), row=("recipients", before.id)))
            sql.defer(audit.entry(actor, "recipient.updated", "recipient", before.id, before=_audit_recipient(before),
                                  after=_audit_recipient(after)))
            tally.updated += 1
        if inserts:
            await Recipient.insert(*inserts)
        await sql.flush()
    return tally


async def _write_batch_retrying(actor: Actor, batch: list[_MappedRow], mapping: FieldMapping, source_system: str) -> _Tally:
    """A concurrent sync may create one of the batch's recipients first: read again and write it as an update."""
    try:
        return await _write_batch(actor, batch, mapping, source_system)
    except Exception as error:
        if not is_unique_violation(error):
            raise
        sql.discard()
        return await _write_batch(actor, batch, mapping, source_system)


# ---------------------------------------------------------------- the sync


async def sync_recipients(actor: Actor, preset_or_mapping: SourceSystem | str | FieldMapping, rows: Iterable[Mapping[str, object]],
                          source_system: str | None = None) -> SyncReport:
    """Upsert recipients from ``rows`` (dicts of source column → value) through a preset or a
    mapping. ``source_system`` is what recipients record as their source (default: the preset's
    name, or ``custom``). Returns the counts and every rejected row with its reason."""
    actor.require(Permission.RECIPIENTS_WRITE)
    if isinstance(preset_or_mapping, FieldMapping):
        mapping, default_source = preset_or_mapping, SourceSystem.CUSTOM.value
    else:
        mapping = mapping_for(preset_or_mapping)
        default_source = SourceSystem(preset_or_mapping).value
    source = (source_system or default_source).strip()[:50] or default_source
    today = utcnow().date()
    total, rows_read, seen = _Tally(), 0, {}
    batch: list[_MappedRow] = []

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
        if not isinstance(row, Mapping):
            total.rejected.append(RejectedRecipientRow(number, None, None, "a row is an object of column → value"))
            continue
        try:
            mapped = _map_row(number, row, mapping, today)
        except DomainError as refusal:
            external_id = _first_external_id(row, mapping)
            total.rejected += [RejectedRecipientRow(number, external_id, error.field, error.message) for error in refusal.errors]
            continue
        external_id = mapped.fields.get("external_id")
        if not external_id:
            total.rejected.append(RejectedRecipientRow(number, None, "external_id", "external id is required"))
            continue
        if external_id in seen:
            total.rejected.append(RejectedRecipientRow(number, external_id, "external_id", f"duplicate of row {seen[external_id]}"))
            continue
        seen[external_id] = number
        batch.append(mapped)
        if len(batch) >= BATCH:
            await flush_batch()
    await flush_batch()
    rejected = tuple(sorted(total.rejected, key=lambda rejection: rejection.row_number))
    report = SyncReport(created=total.created, updated=total.updated, unchanged=total.unchanged, rejected=rejected,
                        source_system=source, rows_read=rows_read)
    async with write_transaction():
        await audit.record(actor, "recipients.synced", "recipient_sync", new_id(), after={
            "source_system": source, "rows_read": report.rows_read, "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "rejected": len({rejection.row_number for rejection in rejected}),
        })
    return report


def _first_external_id(row: Mapping[str, object], mapping: FieldMapping) -> str | None:
    return next((_text(row.get(column)) for column, target in mapping.columns if target == "external_id" and _text(row.get(column))), None)


# ---------------------------------------------------------------- CSV exports


def rows_from_csv(source: BinaryIO) -> Iterator[dict[str, str]]:
    """The rows of an HR export in CSV (UTF-8, with or without a BOM; ``,`` or ``;``), streamed.
    A file-level problem raises where it is met (EMPTY_FILE, INVALID_ENCODING, MALFORMED_CSV,
    FILE_TOO_LARGE, TOO_MANY_COLUMNS): read the rows into a list before syncing, so a bad file
    writes nothing (a sync holds at most MAX_ROWS rows anyway)."""
    text = io.TextIOWrapper(_Bounded(source), encoding="utf-8-sig", newline="")
    try:
        header_line = text.readline()
        if not header_line.strip():
            raise DomainError.single("EMPTY_FILE", "the file is empty: expected a header line of column names", field="file")
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        header = next(csv.reader([header_line], delimiter=delimiter))
        if len(header) > MAX_COLUMNS:
            raise DomainError.single("TOO_MANY_COLUMNS", f"at most {MAX_COLUMNS} columns", field="file")
        for cells in csv.reader(text, delimiter=delimiter, strict=True):
            if any(cell.strip() for cell in cells):
                yield dict(zip([name.strip() for name in header], cells))
    except UnicodeDecodeError:
        raise DomainError.single("INVALID_ENCODING", "the file is not UTF-8: export it as CSV UTF-8", field="file") from None
    except csv.Error as error:
        raise DomainError.single("MALFORMED_CSV", f"the file is not valid CSV: {error}", field="file") from None


class _Bounded(io.RawIOBase):
    """The upload, refused past MAX_CSV_BYTES."""

    def __init__(self, source: BinaryIO):
        self.source, self.size = source, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.source.read(len(buffer))
        self.size += len(chunk)
        if self.size > MAX_CSV_BYTES:
            raise DomainError.single("FILE_TOO_LARGE", f"the file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB", field="file")
        buffer[:len(chunk)] = chunk
        return len(chunk)


