"""Catalogue tables. What Piccolo columns cannot declare is in the raw migration: UNIQUE (offer,
version) on terms, the allocation index on voucher codes, and UNIQUE allocated_to (one code per
issuance)."""

from piccolo.columns import JSON, UUID, BigInt, Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default
from backend.partners.tables import Partner


class Offer(Table, tablename="offers"):
    id = UUID(primary_key=True, default=UUID7Default())
    partner = ForeignKey(references=Partner, index=True, on_delete=OnDelete.restrict)
    title = Varchar(length=200)
    # The offer's human code (SHOP-IN-500): what files, the console and the API name it by beside
    # its id. Unique (a unique index, catalog migration t16); null only between the migration's steps.
    code = Varchar(length=40, null=True, default=None)
    description = Text(default="")
    image_url = Varchar(length=2000, default="")
    country = Varchar(length=2, index=True)
    currency = Varchar(length=3, index=True)
    category = Varchar(length=60, index=True)
    category_restrictions = JSON(default=[])  # e.g. ["alcohol", "tobacco"]: what the reward may not buy
    # Denominations in minor units: a fixed list, or min..max in steps.
    denomination_kind = Varchar(length=8)  # fixed | range
    denominations = JSON(default=[])
    min_amount = BigInt(null=True, default=None)
    max_amount = BigInt(null=True, default=None)
    amount_step = BigInt(null=True, default=None)
    expiry_kind = Varchar(length=20)  # days_after_issue | fixed_date
    expiry_days = Integer(null=True, default=None)
    expiry_date = Date(null=True, default=None)
    eligibility_rule = Text(default="")  # canonical text; empty = everyone
    current_terms_version = UUID(null=True, default=None)
    rank = Integer(default=0, index=True)
    status = Varchar(length=16, default="draft", index=True)
    low_stock_threshold = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TermsVersion(Table, tablename="offer_terms_versions"):
    """Never edited: revising terms adds a version, and an issuance records the one it was issued under."""

    id = UUID(primary_key=True, default=UUID7Default())
    offer = ForeignKey(references=Offer, index=True, on_delete=OnDelete.restrict)
    version = Integer()
    body = Text()
    created_by = UUID(null=True, default=None)
    created_by_label = Varchar(length=255, default="")
    created_at = Timestamptz()


class VoucherImport(Table, tablename="voucher_imports"):
    """One uploaded stock file. Its bytes are not kept (they hold codes in clear): its SHA-256, size
    and the report of rejected rows are."""

    id = UUID(primary_key=True, default=UUID7Default())
    offer = ForeignKey(references=Offer, index=True, on_delete=OnDelete.restrict)
    file_name = Varchar(length=255)
    sha256 = Varchar(length=64)
    size_bytes = BigInt()
    rows_read = Integer()
    rows_imported = Integer()
    rejected_rows = JSON(default=[])  # [{line, reason}]
    imported_by = UUID(null=True, default=None)
    imported_by_label = Varchar(length=255, default="")
    imported_at = Timestamptz()


class VoucherCode(Table, tablename="voucher_codes"):
    id = UUID(primary_key=True, default=UUID7Default())
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict)
    voucher_import = ForeignKey(references=VoucherImport, index=True, on_delete=OnDelete.restrict)
    # Sealed by backend.core.encryption with this row's id as context: a ciphertext copied to
    # another row does not open.
    code_sealed = Text()
    pin_sealed = Text(null=True, default=None)
    # HMAC of partner id + code (backend.core.keyed_digest): uniqueness without the code in clear.
    code_digest = Varchar(length=64, unique=True)
    denomination = BigInt()
    expires_on = Date(null=True, default=None)
    status = Varchar(length=16, default="available")  # available | allocated | confirmed | voided
    allocated_to = UUID(null=True, default=None)  # the issuance holding the code
    allocated_at = Timestamptz(null=True, default=None)
    sandbox = Boolean(default=False)
    confirmed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    # A code replaced by another (services.code_replacement): out of stock for good, never shown again.
    voided_from = UUID(null=True, default=None)  # the issuance that held it
    voided_at = Timestamptz(null=True, default=None)


class SegmentRoute(Table, tablename="offer_segment_routes"):
    """A per-segment ranking adjustment: recipients matching ``segment_rule`` (the eligibility rule
    language) see the offer moved up (``adjustment`` > 0) or down (< 0) in their catalogue. One row
    per (offer, segment rule): a unique index in the raw migration."""

    id = UUID(primary_key=True, default=UUID7Default())
    offer = ForeignKey(references=Offer, index=True, on_delete=OnDelete.restrict)
    segment_rule = Text()  # canonical text; never empty (an empty rule would be everyone: that is rerankOffers)
    adjustment = Integer()  # -100..100, never 0 (0 removes the route)
    note = Text(default="")
    updated_by_label = Varchar(length=255, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
