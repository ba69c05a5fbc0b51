"""What the upload services hand to adapters: frozen views, never table rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core.clock import as_utc, maybe_utc
from backend.core.views import Page, json_value  # noqa: F401 (re-exported)
from backend.rewards.uploads.services.columns import ignored_note

# An upload's life: validating (the worker reads the file) → staged (in review) → approved (the worker
# issues it) → completed; or refused (a file-level problem) instead of staged; or discarded from review.
VALIDATING, REFUSED = "validating", "refused"
STAGED, APPROVED, COMPLETED, DISCARDED = "staged", "approved", "completed", "discarded"
UPLOAD_STATUSES = (VALIDATING, REFUSED, STAGED, APPROVED, COMPLETED, DISCARDED)
# What issuance decided for a row (the contract's IssuanceOutcome.status).
ISSUED, PENDING_APPROVAL, REJECTED = "issued", "pending_approval", "rejected"


@dataclass(frozen=True)
class RowProblem:
    field: str | None  # the column, or None for the row as a whole
    code: str
    message: str


@dataclass(frozen=True)
class UploadView:
    id: uuid.UUID
    campaign_id: uuid.UUID
    file_name: str
    file_format: str  # csv | xlsx
    sha256: str
    size_bytes: int
    columns: tuple[str, ...]
    ignored_columns: tuple[str, ...]  # the file's other columns, as written: read past
    status: str
    rows_total: int
    rows_valid: int
    rows_invalid: int
    rows_flagged: int  # valid rows with a warning (possible duplicates): issued unless fixed
    uploaded_by: uuid.UUID | None
    uploaded_by_label: str
    uploaded_at: datetime
    decided_by_label: str
    decided_at: datetime | None
    decision_note: str
    progress_total: int
    progress_done: int
    issued: int
    pending: int
    rejected: int
    completed_at: datetime | None
    refusal_code: str  # when refused: the file-level problem's code (WRONG_HEADER, INVALID_ENCODING, …)
    refusal: str  # … and its message

    @property
    def notices(self) -> tuple[str, ...]:
        """What the review says of the file as a whole ("2 columns ignored: notes, department")."""
        notes = [ignored_note(self.ignored_columns)]
        if self.rows_flagged:
            notes.append(
                f"{self.rows_flagged:,} row{'s are' if self.rows_flagged != 1 else ' is'} flagged as possible duplicates "
                "(same recipient and offer, another amount): kept, each is issued"
            )
        return tuple(note for note in notes if note)

    @property
    def progress(self) -> float:
        """0.0 to 1.0, for the progress bar."""
        return 1.0 if self.progress_total == 0 else self.progress_done / self.progress_total


@dataclass(frozen=True)
class UploadRowView:
    line: int
    cells: dict[str, str]  # column → text as uploaded (after inline fixes)
    valid: bool
    problems: tuple[RowProblem, ...]
    warnings: tuple[RowProblem, ...]  # for review only: a valid row with warnings is issued
    external_id: str
    recipient_id: uuid.UUID | None
    new_recipient: bool  # the recipient will be created at approval
    offer_id: uuid.UUID | None
    denomination: int | None
    points: int | None
    channel: str | None
    outcome: str | None  # after approval: issued | pending_approval | rejected
    rejection_code: str | None
    outcome_message: str
    issuance_id: uuid.UUID | None


@dataclass(frozen=True)
class PricedUploadRow:
    line: int
    external_id: str
    value: int
    outcome: str  # "issue" | "pending_approval" | a rejection code
    message: str


@dataclass(frozen=True)
class UploadPricing:
    """The dry run: what approving the upload now would do, priced against the campaign's current state."""

    upload_id: uuid.UUID
    campaign_id: uuid.UUID
    currency: str  # "" for points
    rows_priced: int
    total_value: int  # of the rows that would issue or wait for approval
    budget: int | None
    budget_left_before: int | None
    budget_left_after: int | None
    would_issue: int
    would_pend: int
    rejected_by_code: dict[str, int]
    problem_rows: tuple[PricedUploadRow, ...]  # every row that would be rejected (cap, eligibility, …)


def upload_view(row: dict) -> UploadView:
    return UploadView(
        id=row["id"],
        campaign_id=row["campaign_id"],
        file_name=row["file_name"],
        file_format=row["file_format"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        columns=tuple(json_value(row["columns"]) or ()),
        ignored_columns=tuple(json_value(row["ignored_columns"]) or ()),
        status=row["status"],
        rows_total=row["rows_total"],
        rows_valid=row["rows_valid"],
        rows_invalid=row["rows_invalid"],
        rows_flagged=row["rows_flagged"],
        uploaded_by=row["uploaded_by"],
        uploaded_by_label=row["uploaded_by_label"],
        uploaded_at=as_utc(row["uploaded_at"]),
        decided_by_label=row["decided_by_label"],
        decided_at=maybe_utc(row["decided_at"]),
        decision_note=row["decision_note"],
        progress_total=row["progress_total"],
        progress_done=row["progress_done"],
        issued=row["issued"],
        pending=row["pending"],
        rejected=row["rejected"],
        completed_at=maybe_utc(row["completed_at"]),
        refusal_code=row["refusal_code"],
        refusal=row["refusal"],
    )


def upload_row_view(row: dict) -> UploadRowView:
    return UploadRowView(
        line=row["line"],
        cells=json_value(row["cells"]) or {},
        valid=bool(row["valid"]),
        problems=tuple(RowProblem(**problem) for problem in json_value(row["errors"]) or ()),
        warnings=tuple(RowProblem(**problem) for problem in json_value(row["warnings"]) or ()),
        external_id=row["external_id"],
        recipient_id=row["recipient_id"],
        new_recipient=row["new_recipient"] is not None,
        offer_id=row["offer_id"],
        denomination=row["denomination"],
        points=row["points"],
        channel=row["channel"],
        outcome=row["outcome"],
        rejection_code=row["rejection_code"],
        outcome_message=row["outcome_message"],
        issuance_id=row["issuance_id"],
    )
