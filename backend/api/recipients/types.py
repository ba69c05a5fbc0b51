"""GraphQL types of the recipients domain: recipients, programmes, their inputs and error codes."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from backend.api.errors import UserError, payload_errors
from backend.core.errors import FieldError
from backend.recipients.hr_sync import SourceSystem, SyncReport
from backend.recipients.services.search import RecipientFilter
from backend.recipients.services.views import ProgrammeView, RecipientInput, RecipientView


@strawberry.type(description="A person who can receive rewards, known to your systems by `externalId`.")
class Recipient:
    id: strawberry.ID
    external_id: str = strawberry.field(description="Your system's id for this person; upserts match on it.")
    full_name: str
    email: str | None
    phone: str | None = strawberry.field(description="E.164, e.g. +919812345678.")
    whatsapp: str | None = strawberry.field(description="E.164.")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2, e.g. IN.")
    preferred_channel: str = strawberry.field(description="email, sms or whatsapp.")
    hr_attributes: JSON = strawberry.field(description="Free HR keys (lower_snake_case) → text, whole number or boolean.")
    source_system: str
    status: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: RecipientView) -> Recipient:
        return cls(
            id=strawberry.ID(str(view.id)),
            external_id=view.external_id,
            full_name=view.full_name,
            email=view.email,
            phone=view.phone,
            whatsapp=view.whatsapp,
            country=view.country,
            preferred_channel=view.preferred_channel,
            hr_attributes=view.hr_attributes,
            source_system=view.source_system,
            status=view.status,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


@strawberry.type(description="A reward programme: its currency and what one point is worth in it.")
class Programme:
    id: strawberry.ID
    name: str
    description: str
    currency: str = strawberry.field(description="ISO 4217 code with a minor unit, e.g. INR.")
    point_value: Decimal = strawberry.field(description='Value of one point in the currency\'s major unit, exact (e.g. "0.25").')
    status: str
    created_at: datetime

    @classmethod
    def from_view(cls, view: ProgrammeView) -> Programme:
        return cls(
            id=strawberry.ID(str(view.id)),
            name=view.name,
            description=view.description,
            currency=view.currency,
            point_value=view.point_value,
            status=view.status,
            created_at=view.created_at,
        )


@strawberry.input(description="Narrows the recipients list; every given field must match.")
class RecipientFilterInput:
    search: str | None = strawberry.field(default=None, description="Substring of the name, email or external id, any case.")
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2.")
    source_system: str | None = None
    status: str | None = None

    def to_domain(self) -> RecipientFilter:
        return RecipientFilter(search=self.search, country=self.country, source_system=self.source_system, status=self.status)


@strawberry.input(description="The whole record of one recipient: fields left out are cleared.")
class UpsertRecipientInput:
    external_id: str
    full_name: str
    email: str | None = None
    phone: str | None = strawberry.field(
        default=None, description="Any format; without a +country prefix it is read in `country`."
    )
    whatsapp: str | None = None
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 or alpha-3.")
    preferred_channel: str = strawberry.field(default="email", description="email, sms or whatsapp; needs that contact.")
    hr_attributes: JSON | None = strawberry.field(default=None, description='e.g. {"department": "Sales", "grade": 5}')
    source_system: str = "manual"

    def to_domain(self) -> RecipientInput:
        return RecipientInput(
            external_id=self.external_id,
            full_name=self.full_name,
            email=self.email,
            phone=self.phone,
            whatsapp=self.whatsapp,
            country=self.country,
            preferred_channel=self.preferred_channel,
            hr_attributes=self.hr_attributes if self.hr_attributes is not None else {},
            source_system=self.source_system,
        )


@strawberry.enum(description="Why a recipients mutation changed nothing.")
class RecipientErrorCode(enum.Enum):
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    INVALID = "INVALID"
    EXTERNAL_ID_TAKEN = "EXTERNAL_ID_TAKEN"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_CHANNEL = "INVALID_CHANNEL"
    MISSING_CONTACT = "MISSING_CONTACT"
    INVALID_KEY = "INVALID_KEY"
    INVALID_VALUE = "INVALID_VALUE"
    TOO_MANY = "TOO_MANY"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    INVALID_POINT_VALUE = "INVALID_POINT_VALUE"
    NAME_TAKEN = "NAME_TAKEN"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_SOURCE = "INVALID_SOURCE"
    CUSTOM_MAPPING_INVALID = "CUSTOM_MAPPING_INVALID"
    ROWS_OR_FILE = "ROWS_OR_FILE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    TOO_MANY_COLUMNS = "TOO_MANY_COLUMNS"
    EMPTY_FILE = "EMPTY_FILE"
    INVALID_ENCODING = "INVALID_ENCODING"
    MALFORMED_CSV = "MALFORMED_CSV"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    INVALID_DATE = "INVALID_DATE"


@strawberry.type(description="A reason a recipients mutation changed nothing.")
class RecipientError(UserError):
    code: RecipientErrorCode


def recipient_errors(errors: list[FieldError]) -> list[RecipientError]:
    return payload_errors(RecipientError, RecipientErrorCode, errors)


@strawberry.type
class UpsertRecipientPayload:
    recipient: Recipient | None = strawberry.field(description="The recipient as stored; null when refused.")
    created: bool = strawberry.field(description="True if this call created the recipient.")
    errors: list[RecipientError] = strawberry.field(description="Empty on success. Any error means nothing changed.")

    @classmethod
    def refused(cls, errors: list[FieldError]) -> UpsertRecipientPayload:
        return cls(recipient=None, created=False, errors=recipient_errors(errors))


# ---------------------------------------------------------------- HR sync

HrSource = strawberry.enum(
    SourceSystem,
    name="HrSource",
    description="Whose export the rows are: a preset's column names, or CUSTOM with your own `mapping`.",
)


@strawberry.input(description="Recipients from an HR export: `rows` as JSON objects, or a CSV `file` (one of the two).")
class SyncRecipientsInput:
    source: HrSource
    mapping: JSON | None = strawberry.field(
        default=None,
        description='CUSTOM only: {"source column": "target"}; a target is a recipient field ('
        "external_id, full_name or first_name + last_name, email, phone, whatsapp, country, "
        "preferred_channel) or an HR attribute (lower_snake_case; hire_date also gives tenure).",
    )
    rows: list[JSON] | None = strawberry.field(default=None, description="The export's rows: objects of column → value.")
    file: Upload | None = strawberry.field(
        default=None, description="Or the export as a CSV file (UTF-8, header line first), sent as a multipart upload."
    )
    source_system: str | None = strawberry.field(
        default=None, description="What recipients record as their source; default the preset's name (workday, …) or custom."
    )


@strawberry.type(description="A row that was not synced, and why; the others were.")
class RejectedRecipientRow:
    row_number: int = strawberry.field(description="1 = the first row (of a file: the first line after the header).")
    external_id: str | None
    field: str | None = strawberry.field(description="The target field at fault, as mappings name it (e.g. email, hire_date).")
    reason: str


@strawberry.type(description="What a sync did: counts, and every rejected row with its reason.")
class RecipientSyncReport:
    source_system: str
    rows_read: int
    created: int
    updated: int
    unchanged: int = strawberry.field(description="Rows identical to what was stored: nothing written.")
    rejected: list[RejectedRecipientRow]

    @classmethod
    def from_view(cls, report: SyncReport) -> RecipientSyncReport:
        return cls(
            source_system=report.source_system,
            rows_read=report.rows_read,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=[
                RejectedRecipientRow(row_number=row.row_number, external_id=row.external_id, field=row.field, reason=row.reason)
                for row in report.rejected
            ],
        )


@strawberry.type
class SyncRecipientsPayload:
    report: RecipientSyncReport | None = strawberry.field(description="Null when the request was refused as a whole.")
    errors: list[RecipientError] = strawberry.field(
        description="Empty unless the whole sync was refused (bad mapping or file: nothing written). Rejected rows are in the report."
    )

    @classmethod
    def refused(cls, errors: list[FieldError]) -> SyncRecipientsPayload:
        return cls(report=None, errors=recipient_errors(errors))
