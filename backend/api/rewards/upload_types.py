"""GraphQL types of bulk reward uploads: the staged file with its counts and progress, its bad rows,
and the dry run that prices it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from backend.api.errors import UserError, errors_field, payload_errors, query_refusals
from backend.api.graphql_values import optional_id
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.core.csv_import import megabytes
from backend.core.errors import FieldError
from backend.rewards.uploads.services import pricing, review
from backend.rewards.uploads.services.parsing import MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS
from backend.rewards.uploads.views import UploadPricing, UploadRowView, UploadView


@strawberry.enum(description="Why an upload was refused as a whole (nothing was stored).")
class RewardUploadErrorCode(enum.Enum):
    EMPTY_FILE = "EMPTY_FILE"
    NO_ROWS = "NO_ROWS"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    TOO_MANY_COLUMNS = "TOO_MANY_COLUMNS"
    LINE_TOO_LONG = "LINE_TOO_LONG"
    CELL_TOO_LONG = "CELL_TOO_LONG"
    INVALID_ENCODING = "INVALID_ENCODING"
    MALFORMED_CSV = "MALFORMED_CSV"
    INVALID_XLSX = "INVALID_XLSX"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    WRONG_HEADER = "WRONG_HEADER"
    WRONG_FIELD_COUNT = "WRONG_FIELD_COUNT"
    DUPLICATE_OF_UPLOAD = "DUPLICATE_OF_UPLOAD"
    CAMPAIGN_ENDED = "CAMPAIGN_ENDED"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"


def _uuid(value: strawberry.ID) -> uuid.UUID:
    return uuid.UUID(str(value))


@strawberry.type(description="Why a row cannot be issued; `field` is its column.")
class RowProblem:
    field: str | None
    code: str = strawberry.field(
        description="e.g. REQUIRED, INVALID_EMAIL, INVALID_CHARACTERS, INVALID_DENOMINATION, NOT_ELIGIBLE, "
        "DUPLICATE_IN_FILE; as a warning, POSSIBLE_DUPLICATE."
    )
    message: str


@strawberry.type(
    description="A row of an upload: one that will not be issued, with every reason (`problems`), or one flagged "
    "for review that will be issued as it is (`warnings`)."
)
class UploadRow:
    line: int = strawberry.field(description="The line in the file (the header is line 1).")
    external_id: str
    cells: strawberry.scalars.JSON = strawberry.field(
        description="The row as uploaded (after any fix in the console), column → text."
    )
    problems: list[RowProblem]
    warnings: list[RowProblem] = strawberry.field(
        description="For review, not refusals: e.g. POSSIBLE_DUPLICATE (same recipient and offer as another line, "
        "another amount). A valid row with warnings is issued unless it is fixed."
    )

    @classmethod
    def from_view(cls, view: UploadRowView) -> UploadRow:
        return cls(
            line=view.line,
            external_id=view.external_id,
            cells=view.cells,
            problems=[RowProblem(field=problem.field, code=problem.code, message=problem.message) for problem in view.problems],
            warnings=[RowProblem(field=warning.field, code=warning.code, message=warning.message) for warning in view.warnings],
        )


@strawberry.type(description="What approving the upload now would do, priced against the campaign's current state.")
class UploadDryRun:
    currency: str = strawberry.field(description="ISO 4217 code with a minor unit, or empty for points.")
    rows_priced: int
    total_value: int = strawberry.field(
        description="Of the rows that would issue or wait for approval, in minor units or points."
    )
    budget: int | None
    budget_left_before: int | None
    budget_left_after: int | None
    would_issue: int
    would_pend: int
    rejected_by_code: strawberry.scalars.JSON = strawberry.field(description='e.g. {"RECIPIENT_CAP_REACHED": 3}.')

    @classmethod
    def from_view(cls, view: UploadPricing) -> UploadDryRun:
        return cls(
            currency=view.currency,
            rows_priced=view.rows_priced,
            total_value=view.total_value,
            budget=view.budget,
            budget_left_before=view.budget_left_before,
            budget_left_after=view.budget_left_after,
            would_issue=view.would_issue,
            would_pend=view.would_pend,
            rejected_by_code=view.rejected_by_code,
        )


@strawberry.type(
    description="A bulk reward file: validating (a worker reads it), staged for review or refused (a problem of "
    "the whole file), approved (a worker issues it), completed or discarded. A second admin approves it in the "
    "console; nothing is issued before."
)
class RewardUpload:
    id: strawberry.ID
    campaign_id: strawberry.ID
    file_name: str
    file_format: str
    status: str = strawberry.field(description="validating, refused, staged, approved, completed or discarded.")
    rows_total: int
    rows_valid: int
    rows_invalid: int
    rows_flagged: int = strawberry.field(
        description="Valid rows with a warning (possible duplicates): they are issued unless fixed; see `flaggedRows`."
    )
    ignored_columns: list[str] = strawberry.field(
        description="Columns of the file that are not upload columns, as written: read past (a campaign with "
        "`strictUploadColumns` refuses such a file instead)."
    )
    notices: list[str] = strawberry.field(
        description='What the review says of the file as a whole, e.g. "2 columns ignored: notes, department".'
    )
    uploaded_by: str
    uploaded_at: datetime
    decided_by: str
    decided_at: datetime | None
    progress_done: int = strawberry.field(
        description="Validating: rows validated so far; from approval: rows decided (issued, pending or refused)."
    )
    progress_total: int = strawberry.field(
        description="Validating: about how many rows the file has (0 when unknown, for XLSX); from approval: the valid rows."
    )
    issued: int
    pending: int
    rejected: int
    refusal: RowProblem | None = strawberry.field(
        description="Why the file was refused as a whole (status refused): field `file`, a code such as WRONG_HEADER "
        "or INVALID_ENCODING, and the message."
    )

    @strawberry.field(description="The rows that will not be issued, in line order.")
    async def invalid_rows(
        self, info: strawberry.Info, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[UploadRow]:
        actor, upload_id, total = info.context.actor, _uuid(self.id), self.rows_invalid

        async def count() -> int:
            return total

        return await keyset_connection(
            list_name="upload-rows",
            first=first,
            after=after,
            fetch=lambda after_line, limit: review.invalid_rows_after(actor, upload_id, after_line, limit),
            key=lambda view: view.line,
            node=UploadRow.from_view,
            count=count,
            parse_key=int,
        )

    @strawberry.field(description="Valid rows flagged for review (possible duplicates), in line order: issued as they are.")
    async def flagged_rows(
        self, info: strawberry.Info, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[UploadRow]:
        actor, upload_id, total = info.context.actor, _uuid(self.id), self.rows_flagged

        async def count() -> int:
            return total

        return await keyset_connection(
            list_name="upload-flagged-rows",
            first=first,
            after=after,
            fetch=lambda after_line, limit: review.flagged_rows(actor, upload_id, after_line=after_line, limit=limit),
            key=lambda view: view.line,
            node=UploadRow.from_view,
            count=count,
            parse_key=int,
        )

    @strawberry.field(
        description="The dry run (scope rewards:write): total value, budget after, rows that would be refused. "
        "Only for a staged upload; writes nothing."
    )
    async def dry_run(self, info: strawberry.Info) -> UploadDryRun:
        with query_refusals():
            return UploadDryRun.from_view(await pricing.price_upload(info.context.actor, _uuid(self.id)))

    @classmethod
    def from_view(cls, view: UploadView) -> RewardUpload:
        return cls(
            id=optional_id(view.id),
            campaign_id=optional_id(view.campaign_id),
            file_name=view.file_name,
            file_format=view.file_format,
            status=view.status,
            rows_total=view.rows_total,
            rows_valid=view.rows_valid,
            rows_invalid=view.rows_invalid,
            rows_flagged=view.rows_flagged,
            ignored_columns=list(view.ignored_columns),
            notices=list(view.notices),
            uploaded_by=view.uploaded_by_label,
            uploaded_at=view.uploaded_at,
            decided_by=view.decided_by_label,
            decided_at=view.decided_at,
            progress_done=view.progress_done,
            progress_total=view.progress_total,
            issued=view.issued,
            pending=view.pending,
            rejected=view.rejected,
            refusal=RowProblem(field="file", code=view.refusal_code, message=view.refusal) if view.refusal_code else None,
        )


@strawberry.input(description="A CSV (UTF-8, `,` or `;`) or XLSX file of rewards for a campaign, sent as a multipart upload.")
class UploadRewardFileInput:
    campaign_id: strawberry.ID
    file: Upload = strawberry.field(
        description="Columns: external_id, full_name, email, phone, country, offer, denomination "
        f"or points, channel, attr:<key>…; other columns are ignored (unless the campaign's strictUploadColumns). "
        f"At most {megabytes(MAX_FILE_BYTES)}, {MAX_ROWS:,} rows and {MAX_COLUMNS} columns."
    )


@strawberry.type(description="A reason an upload was refused as a whole.")
class RewardUploadError(UserError):
    code: RewardUploadErrorCode


@strawberry.type(description="The upload just sent, `validating`: follow it with `rewardUpload(id)`.")
class RewardUploadPayload:
    upload: RewardUpload | None
    errors: list[RewardUploadError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> RewardUploadPayload:
        return cls(upload=None, errors=payload_errors(RewardUploadError, RewardUploadErrorCode, errors))
