"""One offer's voucher stock: levels per denomination, the low-stock alert, the import of a
partner's code file (with its report: every rejected row with its line and reason), the earlier
imports, and the codes themselves, masked."""

from __future__ import annotations

import io

from nicegui import events, ui

from backend.catalog.services import stock, stock_import
from backend.catalog.services.stock_import import MAX_FILE_BYTES
from backend.catalog.views import RETIRED, OfferView, VoucherImportReport
from backend.core.authz import Actor, Permission
from backend.core.money import format_money
from ui.components.action import perform
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.catalog.offer_editor import offer_or_not_found, offer_url
from ui.pages.catalog.offers_list import low_stock_alert
from ui.pages.catalog.words import CODE_STATUSES
from ui.session import signed_in
from ui.theme import frame

CODE_COLUMNS = [
    Column("code", "Code"),
    Column("pin", "PIN"),
    Column("denomination", "Denomination", align="right"),
    Column("expires_on", "Expires"),
    Column("status", "Status", badge=True),
    Column("sandbox", "Sandbox"),
]
CODE_COLOURS = {"available": "positive", "allocated": "secondary", "confirmed": "primary", "voided": "grey-7"}


def _small_table(
    columns: list[tuple[str, str]], rows: list[dict], marker: str, *, right: tuple[str, ...] = (), row_key: str | None = None
) -> ui.table:
    return (
        ui.table(
            columns=[
                {"name": name, "label": label, "field": name, "align": "right" if name in right else "left"}
                for name, label in columns
            ],
            rows=rows,
            row_key=row_key or columns[0][0],
        )
        .classes("w-full mb-table")
        .props("flat dense hide-bottom")
        .mark(marker)
    )


class StockPage:
    def __init__(self, actor: Actor, offer: OfferView) -> None:
        self.actor, self.offer = actor, offer
        self.levels_box: ui.column | None = None
        self.report_box: ui.column | None = None
        self.history_box: ui.column | None = None
        self.codes: PagedTable | None = None

    async def build(self) -> None:
        offer = self.offer
        with frame(
            f"Stock of {offer.title}",
            f"{offer.partner_name} · low-stock alert "
            + (f"at {offer.low_stock_threshold:,} codes" if offer.low_stock_threshold else "off"),
        ):
            ui.link("← Back to the offer", offer_url(offer.id)).classes("text-primary text-body2")
            self.alert_box = ui.column().classes("w-full")
            with (
                ui.element("div")
                .classes("w-full grid gap-4 items-start")
                .style("grid-template-columns: minmax(0, 1fr) minmax(0, 1fr)")
            ):
                with ui.card().classes("mb-card q-pa-md gap-2 w-full"):
                    with ui.row().classes("items-center gap-2"):
                        ui.icon("inventory_2", color="primary")
                        ui.label("Levels by denomination").classes("text-subtitle1 text-weight-medium")
                    self.levels_box = ui.column().classes("w-full gap-2")
                self._import_card()
            self.report_box = ui.column().classes("w-full gap-2")
            with ui.card().classes("mb-card q-pa-md gap-2 w-full"):
                with ui.row().classes("items-center gap-2"):
                    ui.icon("history", color="primary")
                    ui.label("Imports").classes("text-subtitle1 text-weight-medium")
                self.history_box = ui.column().classes("w-full gap-2")
            ui.label("Codes").classes("text-subtitle1 text-weight-medium q-mt-sm")
            self.codes = PagedTable(
                CODE_COLUMNS, self._codes, empty_text="No codes yet: import a file", marker="codes-table", rows_per_page=10
            )
            self.codes.select_filter("status", "Status", CODE_STATUSES, width="w-40")
        await self.refresh()

    def _import_card(self) -> None:
        with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("import-card"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("upload_file", color="primary")
                ui.label("Import voucher codes").classes("text-subtitle1 text-weight-medium")
            if not self.actor.can(Permission.CATALOG_WRITE) or self.offer.status == RETIRED:
                ui.label(
                    "A retired offer takes no more stock."
                    if self.offer.status == RETIRED
                    else f"You need the permission “{Permission.CATALOG_WRITE.value}” to import codes."
                ).classes("mb-muted")
                return
            ui.label(
                "A CSV file with the header code, pin, amount, expiry (pin and expiry optional; the amount in the "
                "offer's currency, 500.00, or amount_minor in minor units; expiry as YYYY-MM-DD). Good rows are "
                "imported, bad ones reported by line."
            ).classes("mb-muted text-body2")
            self.dry_run = ui.checkbox("Check only (dry run: nothing is imported)").mark("import-dry-run")
            self.upload = (
                ui.upload(
                    label="Voucher file (.csv, up to 20 MB)",
                    auto_upload=True,
                    max_file_size=MAX_FILE_BYTES,
                    on_upload=self._imported,
                    on_rejected=lambda: ui.notify("That file is larger than 20 MB.", type="negative"),
                )
                .props("flat bordered accept=.csv,text/csv")
                .classes("w-full")
                .mark("import-upload")
            )
            self.progress = ui.row().classes("items-center gap-2")
            self.progress.set_visibility(False)
            with self.progress:
                ui.spinner(size="sm")
                ui.label("Importing: every row is checked and sealed…").classes("text-body2").mark("import-progress")

    async def _imported(self, event: events.UploadEventArguments) -> None:
        content = await event.file.read()
        dry_run = bool(self.dry_run.value)
        self.progress.set_visibility(True)
        try:
            report = await perform(
                lambda actor: stock_import.import_voucher_codes(
                    actor, self.offer.id, io.BytesIO(content), event.file.name, dry_run=dry_run
                )
            )
        finally:
            self.progress.set_visibility(False)
            self.upload.reset()
        if report is None:
            return
        verb = "would import" if report.dry_run else "imported"
        ui.notify(
            f"{report.file_name}: {verb} {report.rows_imported:,} of {report.rows_read:,} rows"
            + (f"; {len(report.rejected):,} rejected (see the report)." if report.rejected else "."),
            type="warning" if report.rejected else "positive",
            multi_line=True,
        )
        self._report(report)
        await self.refresh()

    def _report(self, report: VoucherImportReport) -> None:
        self.report_box.clear()
        with self.report_box, ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("import-report"):
            with ui.row().classes("w-full items-center justify-between"):
                with ui.row().classes("items-center gap-2"):
                    ui.icon("fact_check", color="warning" if report.rejected else "positive")
                    ui.label(("Dry run of " if report.dry_run else "Import report: ") + report.file_name).classes(
                        "text-subtitle1 text-weight-medium"
                    )
                if report.rejected and report.id is not None:
                    ui.button(
                        "Download rejected rows", icon="download", on_click=lambda: self._download_rejections(report)
                    ).props("outline no-caps").mark("download-rejections")
            ui.label(
                f"{report.rows_read:,} rows read · {report.rows_imported:,} {'would be ' if report.dry_run else ''}imported · "
                f"{len(report.rejected):,} rejected"
            ).classes("text-body1").mark("import-summary")
            if report.rejected:
                _small_table(
                    [("line", "Line"), ("reason", "Why it was rejected")],
                    [{"line": row.line, "reason": row.reason} for row in report.rejected],
                    "rejected-rows",
                    right=("line",),
                    row_key="line",
                )

    async def _download_rejections(self, report: VoucherImportReport) -> None:
        text = await perform(lambda actor: stock_import.import_rejections_csv(actor, report.id))
        if text is not None:
            name = f"rejected-{report.file_name.rsplit('.', 1)[0]}.csv"
            ui.download.content(text.encode("utf-8-sig"), name, "text/csv")
            ui.notify(f"Downloaded the {len(report.rejected):,} rejected rows to {name}.", type="positive")

    async def refresh(self) -> None:
        actor = signed_in().actor
        levels = await stock.stock_levels(actor, self.offer.id)
        self.levels_box.clear()
        with self.levels_box:
            if not levels:
                ui.label("No codes yet.").classes("mb-muted").mark("no-stock")
            else:
                available = sum(level.available for level in levels)
                ui.label(f"{available:,} usable code{'s' if available != 1 else ''}").classes("text-h5 text-weight-bold").mark(
                    "stock-available"
                )
                _small_table(
                    [
                        ("denomination", "Denomination"),
                        ("available", "Available"),
                        ("allocated", "Allocated"),
                        ("confirmed", "Confirmed"),
                        ("expired", "Expired unused"),
                    ],
                    [
                        {
                            "denomination": format_money(level.denomination, self.offer.currency),
                            "available": f"{level.available:,}",
                            "allocated": f"{level.allocated:,}",
                            "confirmed": f"{level.confirmed:,}",
                            "expired": f"{level.expired:,}",
                        }
                        for level in levels
                    ],
                    "stock-levels",
                    right=("available", "allocated", "confirmed", "expired"),
                )
        self.alert_box.clear()
        with self.alert_box:
            await low_stock_alert(actor, self.offer.id)
        imports = await stock_import.voucher_imports(actor, self.offer.id)
        self.history_box.clear()
        with self.history_box:
            if not imports:
                ui.label("No imports yet.").classes("mb-muted")
            else:
                _small_table(
                    [
                        ("imported_at", "When"),
                        ("file", "File"),
                        ("by", "By"),
                        ("read", "Rows"),
                        ("imported", "Imported"),
                        ("rejected", "Rejected"),
                    ],
                    [
                        {
                            "id": str(i.id),
                            "imported_at": when(i.imported_at),
                            "file": i.file_name,
                            "by": i.imported_by_label,
                            "read": f"{i.rows_read:,}",
                            "imported": f"{i.rows_imported:,}",
                            "rejected": f"{len(i.rejected):,}",
                        }
                        for i in imports
                    ],
                    "import-history",
                    right=("read", "imported", "rejected"),
                    row_key="id",
                )
        await self.codes.reload(first_page=False)

    async def _codes(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await stock.list_voucher_codes(
            actor, self.offer.id, status=request.filters.get("status"), offset=request.offset, limit=request.limit
        )
        return [
            {
                "id": str(code.id),
                "code": code.code_masked,
                "pin": code.pin_masked or EMPTY,
                "denomination": format_money(code.denomination, self.offer.currency),
                "expires_on": code.expires_on.isoformat() if code.expires_on else EMPTY,
                "status": CODE_STATUSES[code.status],
                "status_colour": CODE_COLOURS[code.status],
                "sandbox": "yes" if code.sandbox else EMPTY,
            }
            for code in page.rows
        ], page.total


async def stock_page(offer_id: str) -> None:
    actor = signed_in().actor
    if (offer := await offer_or_not_found(actor, offer_id)) is None:
        return
    await StockPage(actor, offer).build()
