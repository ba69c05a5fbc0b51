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

Modules: ``mapping`` (presets, custom mappings, reading a row), ``sync`` (batches, report) and
``csv_rows`` (CSV exports).
"""

from backend.recipients.hr_sync.csv_rows import MAX_COLUMNS, MAX_CSV_BYTES, rows_from_csv
from backend.recipients.hr_sync.mapping import FieldMapping, SourceSystem, mapping_for, parse_hr_date, whole_years
from backend.recipients.hr_sync.sync import BATCH, MAX_ROWS, RejectedRecipientRow, SyncReport, sync_recipients

__all__ = [
    "BATCH",
    "MAX_COLUMNS",
    "MAX_CSV_BYTES",
    "MAX_ROWS",
    "FieldMapping",
    "RejectedRecipientRow",
    "SourceSystem",
    "SyncReport",
    "mapping_for",
    "parse_hr_date",
    "rows_from_csv",
    "sync_recipients",
    "whole_years",
]
