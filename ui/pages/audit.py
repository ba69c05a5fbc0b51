"""The audit log: who changed what, when; filtered and paged in the database, each entry's change readable."""

from __future__ import annotations

from backend.core import audit
from backend.core.audit import AuditFilter
from backend.core.authz import Actor
from backend.core.clock import as_utc
from ui import navigation
from ui.auth import console_page
from ui.components.audit_diff import show_entry, summary
from ui.components.display import when
from ui.components.paged_table import Column, PagedTable, PageRequest, RowAction
from ui.pages.audit_names import entity_label, entity_names
from ui.theme import frame

COLUMNS = [
    Column("occurred_at", "When"),
    Column("actor", "Who", ellipsis=True),  # a script's label can be long: cut, whole in the tooltip
    Column("action", "Action"),
    Column("entity", "Entity"),
    Column("changed", "Change", ellipsis=True),
]
ACTIONS = [RowAction("details", "Details", "visibility")]


def _row(entry: dict, names: dict[tuple[str, str], str]) -> dict:
    return {
        "id": str(entry["id"]),
        "occurred_at": when(as_utc(entry["occurred_at"])),
        "actor": entry["actor_label"],
        "action": entry["action"],
        "entity": entity_label(entry, names),
        "changed": summary(entry["before"], entry["after"]),
        "actions": ["details"],
    }


class AuditPage:
    def __init__(self) -> None:
        self.entries: dict[str, dict] = {}
        self.table: PagedTable | None = None

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        wanted = request.filters
        page = await audit.search(
            actor,
            AuditFilter(
                actor=wanted.get("actor"),
                entity_type=wanted.get("entity_type"),
                entity_id=wanted.get("entity_id"),
                action=wanted.get("action"),
                since=request.day("since"),
                until=request.day("until", end=True),
            ),
            offset=request.offset,
            limit=request.limit,
        )
        self.entries = {str(entry["id"]): entry for entry in page.rows}
        names = await entity_names(actor, page.rows)
        return [_row(entry, names) for entry in page.rows], page.total

    async def build(self, prefilled: dict[str, str | None]) -> None:
        with frame(navigation.AUDIT.label, "Every change, by whom and when: newest first. Entries cannot be edited or deleted."):
            self.table = PagedTable(
                COLUMNS, self.fetch, actions=ACTIONS, on_action=self.act, empty_text="No entries match these filters"
            )
            table = self.table
            table.text_filter("actor", "Who (email or key)", value=prefilled.get("actor"), width="w-48")
            table.select_filter(
                "entity_type",
                "Entity type",
                await audit.distinct_entity_types(),
                value=prefilled.get("entity_type"),
                width="w-36",
            )
            table.text_filter("entity_id", "Entity id", value=prefilled.get("entity_id"), width="w-56")
            table.text_filter("action", "Action contains (e.g. created)", value=prefilled.get("action"), width="w-40")
            table.date_filter("since", "From")
            table.date_filter("until", "To (inclusive)")
            await self.table.reload()

    async def act(self, action: str, row: dict) -> None:
        if action == "details" and row["id"] in self.entries:
            show_entry(self.entries[row["id"]])


async def audit_page(
    actor: str | None = None, entity_type: str | None = None, entity_id: str | None = None, action: str | None = None
) -> None:
    await AuditPage().build({"actor": actor, "entity_type": entity_type, "entity_id": entity_id, "action": action})


def register() -> None:
    console_page(navigation.AUDIT)(audit_page)
