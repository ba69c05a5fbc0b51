"""Partner tables. Composite and partial unique indexes are in the raw migration (Piccolo columns
cannot declare them): one completion per (partner, stage, item), one sign-off per (partner, stage),
at most one pending go-live request per partner."""

from piccolo.columns import JSON, UUID, BigInt, Bytea, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class Partner(Table, tablename="partners"):
    id = UUID(primary_key=True, default=UUID7Default())
    name = Varchar(length=200)
    name_key = Varchar(length=200, unique=True)  # the name case-folded: "Acme" and "ACME" are one partner
    source = Varchar(length=16, index=True)  # network | client_sourced
    category = Varchar(length=60, index=True)
    countries = JSON(default=[])  # ISO 3166 alpha-2 codes, sorted
    reward_types = JSON(default=[])
    audience_fit = Text(default="")
    contacts = JSON(default=[])  # [{name, role, email, phone}]
    status = Varchar(length=16, default="onboarding", index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Who acted is kept as id + label: partners may not import access (DESIGN.md, domain table).
    created_by = UUID(null=True, default=None)
    created_by_label = Varchar(length=255, default="")


class EvidenceFile(Table, tablename="onboarding_evidence_files"):
    """A file attached as evidence. The bytes live here, in the database, beside the checklist row
    they prove: one backup, one transaction, and every api process sees them (no shared disk)."""

    id = UUID(primary_key=True, default=UUID7Default())
    partner = ForeignKey(references=Partner, index=True, on_delete=OnDelete.restrict)
    file_name = Varchar(length=255)
    content_type = Varchar(length=100, default="application/octet-stream")
    sha256 = Varchar(length=64)
    size_bytes = BigInt()
    content = Bytea()
    uploaded_by = UUID(null=True, default=None)
    uploaded_by_label = Varchar(length=255, default="")
    uploaded_at = Timestamptz()


class ChecklistCompletion(Table, tablename="onboarding_item_completions"):
    """A checklist item done, with its evidence. Never updated: the trail is append-only."""

    id = UUID(primary_key=True, default=UUID7Default())
    partner = ForeignKey(references=Partner, index=True, on_delete=OnDelete.restrict)
    stage = Varchar(length=32)
    item = Varchar(length=64)
    note = Text(default="")
    evidence_file = ForeignKey(references=EvidenceFile, null=True, default=None, on_delete=OnDelete.restrict)
    completed_by = UUID(null=True, default=None)
    completed_by_label = Varchar(length=255, default="")
    completed_at = Timestamptz()


class StageSignOff(Table, tablename="onboarding_stage_sign_offs"):
    id = UUID(primary_key=True, default=UUID7Default())
    partner = ForeignKey(references=Partner, index=True, on_delete=OnDelete.restrict)
    stage = Varchar(length=32)
    note = Text(default="")
    signed_off_by = UUID(null=True, default=None)
    signed_off_by_label = Varchar(length=255, default="")
    signed_off_at = Timestamptz()


class GoLiveRequest(Table, tablename="go_live_requests"):
    """Maker-checker: one person asks, a different person decides."""

    id = UUID(primary_key=True, default=UUID7Default())
    partner = ForeignKey(references=Partner, index=True, on_delete=OnDelete.restrict)
    status = Varchar(length=16, default="pending")  # pending | approved | rejected | withdrawn
    note = Text(default="")
    requested_by = UUID()
    requested_by_label = Varchar(length=255, default="")
    requested_at = Timestamptz()
    decided_by = UUID(null=True, default=None)
    decided_by_label = Varchar(length=255, default="")
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
