"""GraphQL types of voucher stock: levels per denomination, voucher file imports (input, report, payload)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from backend.api.catalog.types.errors import CatalogError, catalog_errors
from backend.api.catalog.types.shared import MinorUnits
from backend.api.errors import errors_field
from backend.api.graphql_values import optional_id
from backend.catalog.services import stock_import
from backend.catalog.views import (
    VoucherImportReport,
)
from backend.core.csv_import import megabytes
from backend.core.errors import FieldError


@strawberry.type(description="Voucher codes of one denomination, by state.")
class StockLevel:
    denomination: MinorUnits
    available: int = strawberry.field(description="Usable now: not allocated and not past expiry.")
    allocated: int
    confirmed: int
    expired: int = strawberry.field(description="Never used, now past expiry.")

    @classmethod
    def from_view(cls, view) -> StockLevel:
        return cls(
            denomination=view.denomination,
            available=view.available,
            allocated=view.allocated,
            confirmed=view.confirmed,
            expired=view.expired,
        )


@strawberry.type(description="A row of a voucher file that was not imported, and why.")
class RejectedVoucherRow:
    line: int = strawberry.field(description="The line of the file, the header being line 1.")
    reason: str


@strawberry.type(description="What a voucher file import did: every bad row with its line and reason.")
class VoucherImport:
    id: strawberry.ID | None = strawberry.field(description="Null for a dry run.")
    offer_id: strawberry.ID
    file_name: str
    sha256: str = strawberry.field(description="Of the file as received (its bytes are not kept: they hold codes in clear).")
    size_bytes: int
    rows_read: int
    rows_imported: int
    rejected: list[RejectedVoucherRow]
    dry_run: bool
    imported_by: str
    imported_at: datetime

    @classmethod
    def from_view(cls, view: VoucherImportReport) -> VoucherImport:
        return cls(
            id=optional_id(view.id),
            offer_id=optional_id(view.offer_id),
            file_name=view.file_name,
            sha256=view.sha256,
            size_bytes=view.size_bytes,
            rows_read=view.rows_read,
            rows_imported=view.rows_imported,
            rejected=[RejectedVoucherRow(line=row.line, reason=row.reason) for row in view.rejected],
            dry_run=view.dry_run,
            imported_by=view.imported_by_label,
            imported_at=view.imported_at,
        )


@strawberry.input(
    description="A voucher file for an offer: CSV with the header `code, pin, denomination, expiry` (pin, expiry optional)."
)
class ImportVoucherCodesInput:
    offer_id: strawberry.ID
    file: Upload = strawberry.field(
        description=f"The CSV file, sent as a multipart upload (at most {megabytes(stock_import.MAX_FILE_BYTES)})."
    )
    dry_run: bool = strawberry.field(default=False, description="Check everything, import nothing.")


@strawberry.type(description="The import report. Rejected rows do not make the payload an error: the good rows were imported.")
class VoucherImportPayload:
    report: VoucherImport | None = strawberry.field(
        description="Null when the file was refused as a whole (then nothing was imported)."
    )
    errors: list[CatalogError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> VoucherImportPayload:
        return cls(report=None, errors=catalog_errors(errors))
