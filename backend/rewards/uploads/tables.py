"""Bulk upload tables. What Piccolo's columns cannot declare is in the raw migrations: UNIQUE
(upload, line), the duplicate index (campaign_id, dedupe_key) over valid rows, the partial index
that finds the next rows to issue, and the foreign key of ``reward_uploads.campaign_id`` (added to
an existing column: a constraint on PostgreSQL, triggers on SQLite). ``reward_upload_rows.campaign_id``
is a copy of the upload's, for the duplicate index, without a foreign key of its own."""

from piccolo.columns import JSON, UUID, BigInt, Boolean, Bytea, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.campaigns.tables import Campaign
from backend.core.ids import UUID7Default


class RewardUpload(Table, tablename="reward_uploads"):
    """One uploaded file for a campaign, from staging through maker-checker approval to issuance."""

    id = UUID(primary_key=True, default=UUID7Default())
    campaign_id = ForeignKey(references=Campaign, null=False, index=True, on_delete=OnDelete.restrict)
    file_name = Varchar(length=255)
    file_format = Varchar(length=8)  # csv | xlsx
    sha256 = Varchar(length=64)
    size_bytes = BigInt()
    columns = JSON(default=[])  # the header as read, normalised
    ignored_columns = JSON(default=[])  # the header's other columns, as written, read past
    status = Varchar(length=16, index=True)  # validating | refused | staged | approved | completed | discarded
    rows_total = Integer(default=0)
    rows_valid = Integer(default=0)
    rows_invalid = Integer(default=0)
    rows_flagged = Integer(default=0)  # valid rows with a warning (possible duplicates): issued if kept
    uploaded_by = UUID(null=True, default=None)
    uploaded_by_label = Varchar(length=255, default="")
    uploaded_at = Timestamptz()
    decided_by = UUID(null=True, default=None)  # the approver (or whoever discarded it)
    decided_by_label = Varchar(length=255, default="")
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
    # Progress, polled by the console: while validating, rows staged so far of about how many the file
    # has (0: unknown); from approval, rows decided so far of the valid rows to issue.
    progress_total = Integer(default=0)
    progress_done = Integer(default=0)
    issued = Integer(default=0)
    pending = Integer(default=0)
    rejected = Integer(default=0)
    completed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()
    refusal_code = Varchar(length=40, default="")  # a refused file: why (parsing.py's file-level codes)
    refusal = Text(default="")


class RewardUploadFileChunk(Table, tablename="reward_upload_file_chunks"):
    """The uploaded bytes, kept for audit, in chunks of at most 1 MiB so no step holds the whole file."""

    id = UUID(primary_key=True, default=UUID7Default())
    upload = ForeignKey(references=RewardUpload, index=True, on_delete=OnDelete.restrict)
    seq = Integer()
    content = Bytea()


class RewardUploadRow(Table, tablename="reward_upload_rows"):
    """One data row of an upload: the cells as uploaded, what they mean once validated, and, after
    approval, what issuance decided."""

    id = UUID(primary_key=True, default=UUID7Default())
    upload = ForeignKey(references=RewardUpload, on_delete=OnDelete.restrict)
    campaign_id = UUID()
    line = Integer()  # line in the CSV (where the row starts) or row number in the sheet
    cells = JSON(default={})  # column → text as uploaded (after inline fixes)
    external_id = Varchar(length=100, default="")
    recipient_id = UUID(null=True, default=None)  # known recipients at staging; new ones at approval
    new_recipient = JSON(null=True, default=None)  # the normalised record to create at approval
    offer_id = UUID(null=True, default=None)
    denomination = BigInt(null=True, default=None)
    points = BigInt(null=True, default=None)
    channel = Varchar(length=16, null=True, default=None)
    dedupe_key = Varchar(length=300, null=True, default=None)
    valid = Boolean(default=False)
    errors = JSON(default=[])  # [{field, code, message}]
    warnings = JSON(default=[])  # [{field, code, message}]: for review, the row is issued all the same
    outcome = Varchar(length=20, null=True, default=None)  # issued | pending_approval | rejected
    rejection_code = Varchar(length=40, null=True, default=None)
    outcome_message = Text(default="")
    issuance_id = UUID(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
