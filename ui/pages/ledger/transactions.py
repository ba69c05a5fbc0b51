"""A wallet's transaction log: filtered and paged by the ledger service, exported as CSV as it is
filtered, and the chain of linked transfers behind any redemption or reversal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from nicegui import ui

from backend.core.authz import Actor
from backend.core.csv_export import csv_text
from backend.ledger import services as ledger
from backend.ledger.kinds import Phase, TransferKind
from backend.ledger.services import HistoryFilter
from backend.ledger.views import Balance, HistoryEntry, TransferView
from ui.components.action import perform
from ui.components.display import EMPTY, when
from ui.components.keyset_pages import KeysetPages
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.pages.ledger.words import KINDS, SOURCES, STATUS_COLOURS, STATUSES, has_chain, movement, what

COLUMNS = [
    Column("created_at", "When"),
    Column("what", "What"),
    Column("amount", "Points", align="right"),
    Column("status", "Status", badge=True),
    Column("source", "Source"),
    Column("reference", "Reference"),
    Column("reason", "Reason", ellipsis=True),
    Column("actor", "By"),
]
ACTIONS = [RowAction("chain", "Chain", "account_tree")]
CSV_HEADER = [
    "created_at",
    "transfer_id",
    "kind",
    "phase",
    "status",
    "source",
    "direction",
    "amount",
    "reference",
    "reason",
    "actor",
    "reservation_id",
    "reverses_id",
]
EXPORT_PAGE = 200  # the service's largest page
MAX_EXPORT_ROWS = 100_000  # a download a spreadsheet still opens


def _row(entry: HistoryEntry) -> dict:
    transfer = entry.transfer
    return {
        "id": str(transfer.id),
        "created_at": when(transfer.created_at),
        "what": what(transfer),
        "amount": movement(transfer),
        "status": STATUSES[entry.status],
        "status_colour": STATUS_COLOURS[entry.status.value],
        "source": SOURCES[transfer.source],
        "reference": transfer.reference or EMPTY,
        "reason": transfer.reason or EMPTY,
        "actor": transfer.actor_label,
        "actions": ["chain"] if has_chain(transfer) else [],
    }


def _csv_row(entry: HistoryEntry) -> list:
    transfer = entry.transfer
    reservation_id = transfer.id if transfer.phase is Phase.PENDING else transfer.pending_id
    return [
        transfer.created_at,
        transfer.id,
        transfer.kind.value,
        transfer.phase.value,
        entry.status.value,
        transfer.source.value,
        transfer.direction.value,
        transfer.amount,
        transfer.reference,
        transfer.reason,
        transfer.actor_label,
        reservation_id,
        transfer.reverses_id,
    ]


def history_filter(request: PageRequest) -> HistoryFilter:
    wanted = request.filters
    return HistoryFilter(
        source=wanted.get("source"),
        kind=wanted.get("kind"),
        status=wanted.get("status"),
        since=request.day("since"),
        until=request.day("until", end=True),
    )


class TransactionLog:
    def __init__(self, balance: Balance, file_stem: str) -> None:
        assert balance.wallet_id is not None
        self.wallet_id = balance.wallet_id
        self.file_stem = file_stem
        self.pages: KeysetPages[uuid.UUID] = KeysetPages()
        self.table: PagedTable | None = None

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        wanted = history_filter(request)

        async def after(key: uuid.UUID | None, limit: int):
            page = await ledger.history(actor, self.wallet_id, wanted, after=key, limit=limit)
            return page.entries, page.next_cursor

        entries = await self.pages.page(wanted, request.offset, request.limit, after)
        return [_row(entry) for entry in entries], await ledger.count_history(actor, self.wallet_id, wanted)

    def build(self) -> PagedTable:
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(
                "Newest first. A redemption is a hold, then its confirmation or release; “Chain” shows them together "
                "with any refunds."
            ).classes("mb-muted text-body2")
            ui.button("Export CSV", icon="download", on_click=self.export).props("outline no-caps").mark("export-csv")
        self.table = PagedTable(
            COLUMNS,
            self.fetch,
            actions=ACTIONS,
            on_action=self.act,
            marker="transactions-table",
            empty_text="No transactions match these filters",
        )
        self.table.table.props("dense")  # a log is read line by line: more lines, and every column, on one screen
        self.table.select_filter("source", "Source", {s.value: label for s, label in SOURCES.items()}, width="w-44")
        self.table.select_filter("kind", "Kind", {k.value: label for k, label in KINDS.items()}, width="w-48")
        self.table.select_filter("status", "Status", {s.value: label for s, label in STATUSES.items()}, width="w-36")
        self.table.date_filter("since", "From")
        self.table.date_filter("until", "To (inclusive)")
        return self.table

    async def act(self, action: str, row: dict) -> None:
        if action == "chain":
            await show_chain(uuid.UUID(row["id"]))

    # ------------------------------------------------------------ export

    async def export(self) -> None:
        """The log as the filters above it now stand, every page of it."""
        shown = history_filter(PageRequest(offset=0, limit=0, sort_by=None, descending=False, filters=dict(self.table.filters)))
        entries = await perform(lambda actor: self._every_entry(actor, shown))
        if entries is None:
            return
        filename = f"{self.file_stem}-{datetime.now(UTC):%Y%m%d-%H%M}.csv"
        # The BOM tells spreadsheet programs the file is UTF-8 (names with accents stay intact).
        ui.download.content(
            csv_text(CSV_HEADER, [_csv_row(entry) for entry in entries]).encode("utf-8-sig"), filename, "text/csv"
        )
        cut = " (the newest ones: narrow the filters for older ones)" if len(entries) == MAX_EXPORT_ROWS else ""
        ui.notify(f"Exported {len(entries):,} transactions to {filename}{cut}.", type="positive")

    async def _every_entry(self, actor: Actor, shown: HistoryFilter) -> list[HistoryEntry]:
        entries: list[HistoryEntry] = []
        after = None
        while len(entries) < MAX_EXPORT_ROWS:
            page = await ledger.history(actor, self.wallet_id, shown, after=after, limit=EXPORT_PAGE)
            entries += page.entries
            if page.next_cursor is None:
                break
            after = page.next_cursor
        return entries[:MAX_EXPORT_ROWS]


# ---------------------------------------------------------------- a redemption's chain


def _chain_summary(chain: list[TransferView]) -> str:
    held = sum(t.amount for t in chain if t.phase is Phase.PENDING)
    spent = sum(t.amount for t in chain if t.phase is Phase.POST)
    released = sum(t.amount for t in chain if t.phase is Phase.VOID)
    refunded = sum(t.amount for t in chain if t.kind is TransferKind.REVERSE)
    if held and not (spent or released):
        return f"Points held {held:,}, not confirmed or released yet."
    parts = [f"held {held:,}"] if held else []
    if spent:
        parts.append(f"spent {spent:,}" + (f" ({held - spent:,} released)" if held > spent else ""))
    if released:
        parts.append(f"released {released:,}")
    if refunded:
        parts.append(f"refunded {refunded:,}")
    return "Points " + ", ".join(parts) + "." if parts else ""


async def show_chain(transfer_id: uuid.UUID) -> None:
    """The redemption this transfer belongs to, step by step, oldest first."""
    chain = await perform(lambda actor: ledger.transfer_chain(actor, transfer_id))
    if chain is None:
        return
    with ui.dialog(value=True) as dialog, ui.card().classes("q-pa-md w-[900px] max-w-[95vw] gap-3").mark("chain-dialog"):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Redemption chain").classes("text-h6")
            ui.button(icon="close", on_click=dialog.close).props("flat round dense")
        ui.label(_chain_summary(chain)).classes("text-body1").mark("chain-summary")
        ui.table(
            columns=[
                {"name": name, "label": label, "field": name, "align": "right" if name == "amount" else "left"}
                for name, label in (
                    ("created_at", "When"),
                    ("what", "Step"),
                    ("amount", "Points"),
                    ("reference", "Reference"),
                    ("reason", "Reason"),
                    ("actor", "By"),
                )
            ],
            rows=[
                {
                    "id": str(t.id),
                    "created_at": when(t.created_at),
                    "what": what(t),
                    "amount": movement(t),
                    "reference": t.reference or EMPTY,
                    "reason": t.reason or EMPTY,
                    "actor": t.actor_label,
                }
                for t in chain
            ],
            row_key="id",
        ).classes("w-full mb-table").props("flat dense hide-bottom").mark("chain-table")
    dialog.on("hide", dialog.delete)
