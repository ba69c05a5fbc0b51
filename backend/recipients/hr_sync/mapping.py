"""What an HR export's columns mean: the presets (Workday, SAP SuccessFactors, Darwinbox), custom
mappings, and reading one row into a recipient's fields and HR attributes."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from backend.core.errors import DomainError, FieldError
from backend.recipients.services.views import RecipientInput, recipient_view

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
                errors.append(
                    FieldError(
                        "mapping",
                        "CUSTOM_MAPPING_INVALID",
                        f"column '{column}' maps to '{target}': a target is a recipient field or a lower_snake_case HR attribute",
                    )
                )
            elif target == TENURE:
                errors.append(
                    FieldError(
                        "mapping",
                        "CUSTOM_MAPPING_INVALID",
                        f"tenure is derived from {HIRE_DATE}: map a hire-date column to {HIRE_DATE}",
                    )
                )
            else:
                columns.append((column, target))
        targets = {target for _, target in columns}
        if not errors and "external_id" not in targets:
            errors.append(
                FieldError("mapping", "CUSTOM_MAPPING_INVALID", "map one column to external_id: it is how a recipient is matched")
            )
        if not errors and "full_name" not in targets and not set(NAME_PARTS) & targets:
            errors.append(
                FieldError("mapping", "CUSTOM_MAPPING_INVALID", "map a column to full_name (or first_name and last_name)")
            )
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
    SourceSystem.WORKDAY: FieldMapping(
        columns=(
            ("Employee_ID", "external_id"),
            ("Preferred_Name", "full_name"),
            ("Legal_Name", "full_name"),
            ("Work_Email", "email"),
            ("Primary_Work_Email", "email"),
            ("Work_Phone", "phone"),
            ("Primary_Work_Phone", "phone"),
            ("Country", "country"),
            ("Location_Country", "country"),
            ("Business_Unit", "business_unit"),
            ("Supervisory_Organization", "department"),
            ("Department", "department"),
            ("Job_Level", "grade"),
            ("Management_Level", "management_level"),
            ("Job_Profile", "job_profile"),
            ("Location", "location"),
            ("Hire_Date", HIRE_DATE),
        ),
        date_formats=("%m/%d/%Y", "%d-%b-%Y"),
    ),
    SourceSystem.SUCCESSFACTORS: FieldMapping(
        columns=(
            ("userId", "external_id"),
            ("firstName", "first_name"),
            ("lastName", "last_name"),
            ("email", "email"),
            ("cellPhone", "phone"),
            ("businessPhone", "phone"),
            ("country", "country"),
            ("department", "department"),
            ("division", "business_unit"),
            ("location", "location"),
            ("jobCode", "job_code"),
            ("payGrade", "grade"),
            ("hireDate", HIRE_DATE),
        ),
        date_formats=("%m/%d/%Y",),
    ),
    SourceSystem.DARWINBOX: FieldMapping(
        columns=(
            ("Employee ID", "external_id"),
            ("Employee Name", "full_name"),
            ("Official Email ID", "email"),
            ("Mobile Number", "phone"),
            ("Country", "country"),
            ("Department", "department"),
            ("Business Unit", "business_unit"),
            ("Grade", "grade"),
            ("Band", "band"),
            ("Designation", "designation"),
            ("Office Location", "location"),
            ("Date of Joining", HIRE_DATE),
        ),
        date_formats=("%d-%m-%Y", "%d-%b-%Y", "%d %b %Y", "%d/%m/%Y"),
    ),
}


def mapping_for(source: SourceSystem | str, custom: Mapping[str, str] | None = None) -> FieldMapping:
    """The preset of ``source``, or the custom mapping (``source`` CUSTOM needs one; a preset takes none)."""
    try:
        source = SourceSystem(source)
    except ValueError:
        raise DomainError.single(
            "INVALID_SOURCE", f"expected one of {', '.join(s.value for s in SourceSystem)}", field="source"
        ) from None
    if source is SourceSystem.CUSTOM:
        if not custom:
            raise DomainError.single(
                "CUSTOM_MAPPING_INVALID", "a CUSTOM sync needs a mapping {source column: target}", field="mapping"
            )
        return FieldMapping.custom(custom)
    if custom:
        raise DomainError.single(
            "CUSTOM_MAPPING_INVALID", f"{source.value} uses its preset: send a mapping only with CUSTOM", field="mapping"
        )
    return PRESETS[source]


# ---------------------------------------------------------------- reading a row


def text_of(value: object) -> str:
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
class MappedRow:
    number: int
    fields: dict[str, str] = field(default_factory=dict)  # recipient targets → text
    hr: dict[str, object] = field(default_factory=dict)


def map_row(number: int, row: Mapping[str, object], mapping: FieldMapping, today: date) -> MappedRow:
    mapped = MappedRow(number)
    values: dict[str, str] = {}
    for column, target in mapping.columns:
        text = text_of(row.get(column))
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
                raise DomainError.single(
                    "INVALID_DATE", f"hire date '{text}' is not a date this export writes (e.g. 2019-03-15)", field=HIRE_DATE
                ) from None
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


def merged_input(mapped: MappedRow, mapping: FieldMapping, existing: dict | None, source_system: str) -> RecipientInput:
    """The whole record to validate: what the mapping covers from the row, the rest as stored."""
    stored = recipient_view(existing) if existing is not None else None
    covered = mapping.targets | ({"full_name"} if set(NAME_PARTS) & mapping.targets else set())

    def pick(name: str, default):
        if name in covered:
            return mapped.fields.get(name, default if name == "preferred_channel" else None)
        return getattr(stored, name) if stored is not None else default

    hr = {key: value for key, value in (stored.hr_attributes if stored else {}).items() if key not in mapping.hr_keys}
    hr.update(mapped.hr)
    return RecipientInput(
        external_id=mapped.fields.get("external_id", ""),
        full_name=pick("full_name", ""),
        email=pick("email", None),
        phone=pick("phone", None),
        whatsapp=pick("whatsapp", None),
        country=pick("country", None),
        preferred_channel=pick("preferred_channel", "email") or "email",
        hr_attributes=hr,
        source_system=source_system,
    )
