"""A table whose paging, sorting and filtering happen on the server: it asks a service for one page
at a time, so a list of a million recipients costs what a list of fifty does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from nicegui import ui

from backend.core.authz import Actor
from ui.components.local_time import day_start, zone_name
from ui.components.status_badge import status_cell
from ui.session import current_actor

ROWS_PER_PAGE_OPTIONS = [10, 25, 50, 100]


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    sortable: bool = False
    align: str = "left"
    link: bool = False  # the cell links to the row's "href"
    badge: bool = False  # the cell is a badge coloured by the row's "<name>_colour"
    wrap: bool = False  # long text may wrap instead of widening the table
    ellipsis: bool = False  # long text is cut to one line (the full value is a click away)

    def quasar(self) -> dict:
        column = {"name": self.name, "label": self.label, "field": self.name, "align": self.align, "sortable": self.sortable}
        if self.wrap:
            column["style"] = "white-space: normal; min-width: 200px; max-width: 420px"
        return column


@dataclass(frozen=True)
class RowAction:
    """A button in a row, shown when the row lists its name in ``row["actions"]``."""

    name: str
    label: str
    icon: str
    colour: str = "primary"


@dataclass(frozen=True)
class PageRequest:
    offset: int
    limit: int
    sort_by: str | None
    descending: bool
    filters: dict[str, Any] = field(default_factory=dict)

    def day(self, name: str, *, end: bool = False) -> datetime | None:
        """A ``date_filter``'s day as a UTC instant: its start on the person's clock, or with ``end``
        the start of the day after, so a range's last day is included. None (with a hint to the
        person) when not a date."""
        text = self.filters.get(name)
        if not text:
            return None
        try:
            day = date.fromisoformat(text)
        except ValueError:
            ui.notify(f"“{text}” is not a date: write it as YYYY-MM-DD.", type="warning")
            return None
        return day_start(day, end=end)


Fetch = Callable[[Actor, PageRequest], Awaitable[tuple[list[dict], int]]]


class PagedTable:
    """``PagedTable(columns, fetch)``, then ``await table.reload()`` once the page is built.

    ``fetch`` gets the signed-in actor (re-checked, like every action) and the page asked for
    (offset, limit, sort, filter values) and returns the rows and the total count. Filters added
    with ``text_filter``/``select_filter``/``date_filter`` sit above the table and reload it from
    the first page when they change. Rows list the names of the ``actions`` they offer in
    ``row["actions"]``; a click calls ``on_action(name, row)``.
    """

    def __init__(
        self,
        columns: list[Column],
        fetch: Fetch,
        *,
        rows_per_page: int = 25,
        sort_by: str | None = None,
        descending: bool = False,
        row_key: str = "id",
        actions: list[RowAction] | None = None,
        on_action: Callable[[str, dict], Awaitable[None] | None] | None = None,
        empty_text: str = "Nothing to show",
        marker: str = "paged-table",
        compact: bool | None = None,
    ) -> None:
        self._fetch = fetch
        self._on_action = on_action
        self.filters: dict[str, Any] = {}
        self.filter_bar = ui.row().classes("w-full items-end gap-3")
        self.filter_bar.set_visibility(False)
        quasar_columns = [column.quasar() for column in columns]
        if actions:
            quasar_columns.append({"name": "actions", "label": "", "field": "actions", "align": "right"})
        self.table = (
            ui.table(
                columns=quasar_columns,
                rows=[],
                row_key=row_key,
                pagination={
                    "page": 1,
                    "rowsPerPage": rows_per_page,
                    "rowsNumber": 0,
                    "sortBy": sort_by,
                    "descending": descending,
                },
            )
            .classes("w-full mb-table")
            .mark(marker)
            .props(f'flat no-data-label="{empty_text}" binary-state-sort')
        )
        # A list, not the text of one: Quasar maps over it (a string breaks the table once its pagination shows).
        self.table.props["rows-per-page-options"] = list(ROWS_PER_PAGE_OPTIONS)
        # Quasar hands over the page asked for; only that (not its callbacks) goes to the server.
        self.table.on("request", self._on_request, js_handler="(request) => emit(request.pagination)")
        # The server knows how many rows match; a pagination echoed back by the browser (Quasar emits
        # its own copy on mount) must not reset that count to the empty table's 0 ("1-0 of 0").
        self._rows_number = 0
        self.table.on_pagination_change(self._keep_rows_number)
        for column in columns:
            if column.link:
                self.table.add_slot(
                    f"body-cell-{column.name}",
                    """
                    <q-td :props="props"><a :href="props.row.href" class="text-primary text-weight-medium"
                       style="text-decoration: none">{{ props.value }}</a></q-td>""",
                )
            if column.ellipsis:  # the whole text is in the tooltip of the cut line
                self.table.add_slot(
                    f"body-cell-{column.name}",
                    """
                    <q-td :props="props"><div class="ellipsis" style="max-width: 280px" :title="props.value">{{ props.value }}</div></q-td>""",
                )
            if column.badge:
                self.table.add_slot(f"body-cell-{column.name}", status_cell(column.name))
        if actions:
            # Up to two actions read as labelled buttons; more would widen every row, so they become
            # icons named by a tooltip (and by aria-label for screen readers). A row may disable an action it
            # lists (``row["disabled"]``) and say why in ``row["action_note"]``, written under its buttons.
            compact = len(actions) > 2 if compact is None else compact
            buttons = "".join(
                f"""<q-btn v-if="props.row.actions.includes('{action.name}')" flat dense no-caps no-wrap size="sm"
                       :disable="(props.row.disabled || []).includes('{action.name}')"
                       {"round" if compact else f'label="{action.label}"'} aria-label="{action.label}"
                       color="{action.colour}" icon="{action.icon}"
                       @click="() => $parent.$emit('row_action', {{action: '{action.name}', key: props.row.{row_key}}})">
                       {f"<q-tooltip>{action.label}</q-tooltip>" if compact else ""}</q-btn>"""
                for action in actions
            )
            note = """<div v-if="props.row.action_note" class="text-caption mb-muted"
                       style="white-space: normal; max-width: 220px; margin-left: auto">{{ props.row.action_note }}</div>"""
            self.table.add_slot(
                "body-cell-actions", f'<q-td :props="props" class="q-gutter-x-xs text-no-wrap">{buttons}{note}</q-td>'
            )
            self.table.on("row_action", self._on_row_action)
        self._rows_by_key: dict[str, dict] = {}
        self._latest_load = 0

    # ------------------------------------------------------------ filters

    def _filter_changed(self, name: str):
        async def changed(event) -> None:
            value = event.value
            self.filters[name] = value.strip() if isinstance(value, str) else value
            await self.reload()

        return changed

    def _start(self, name: str, value) -> None:
        """A filter's initial value (from a link) applies to the first load without a reload of its own."""
        self.filter_bar.set_visibility(True)
        if value not in (None, ""):
            self.filters[name] = value

    def text_filter(self, name: str, label: str, *, value: str | None = None, width: str = "w-64") -> ui.input:
        self._start(name, value)
        with self.filter_bar:
            # debounce: one query when the person pauses typing, not one per key
            element = ui.input(label, value=value or "", on_change=self._filter_changed(name)).props(
                "dense outlined clearable debounce=350"
            )
            element.classes(width).mark(f"filter-{name}")
        return element

    def select_filter(
        self, name: str, label: str, options: dict | list, *, value: str | None = None, width: str = "w-48"
    ) -> ui.select:
        self._start(name, value)
        if value and value not in options:  # a value from a link that no row has (yet) stays selectable
            options = {**options, value: value} if isinstance(options, dict) else [*options, value]
        with self.filter_bar:
            element = ui.select(
                options, label=label, value=value or None, with_input=True, clearable=True, on_change=self._filter_changed(name)
            )
            element.props("dense outlined options-dense").classes(width).mark(f"filter-{name}")
        return element

    def date_filter(self, name: str, label: str, *, value: str | None = None, width: str = "w-36") -> ui.input:
        self._start(name, value)
        with self.filter_bar:
            element = ui.input(label, value=value or "", placeholder="YYYY-MM-DD", on_change=self._filter_changed(name))
            element.props("dense outlined clearable debounce=350").classes(width).mark(f"filter-{name}")
            element.tooltip(f"Whole days in {zone_name()}")  # the person's days, not UTC's
            with element.add_slot("append"):
                ui.icon("event").classes("cursor-pointer").on("click", lambda: menu.open())
                with ui.menu() as menu:
                    ui.date(mask="YYYY-MM-DD").bind_value(element).props("minimal")
        return element

    # ------------------------------------------------------------ paging

    async def reload(self, *, first_page: bool = True) -> None:
        pagination = dict(self.table.pagination)
        if first_page:
            pagination["page"] = 1
        await self._load(pagination)

    async def _on_request(self, event) -> None:
        await self._load(dict(event.args))

    async def _load(self, pagination: dict) -> None:
        self._latest_load += 1
        ticket = self._latest_load
        rows_per_page = int(pagination.get("rowsPerPage") or 25)
        if rows_per_page <= 0:  # Quasar's "All": a server-side table still pages
            rows_per_page = max(ROWS_PER_PAGE_OPTIONS)
        page = max(1, int(pagination.get("page") or 1))
        request = PageRequest(
            offset=(page - 1) * rows_per_page,
            limit=rows_per_page,
            sort_by=pagination.get("sortBy"),
            descending=bool(pagination.get("descending")),
            filters={key: value for key, value in self.filters.items() if value not in (None, "")},
        )
        actor = await current_actor()
        if actor is None:
            return
        rows, total = await self._fetch(actor, request)
        if ticket != self._latest_load:  # a newer request (the person kept typing) has superseded this one
            return
        if not rows and total and page > 1:  # the page emptied (rows removed): show the last page instead
            pagination["page"] = max(1, -(-total // rows_per_page))
            return await self._load(pagination)
        self._rows_by_key = {str(row[self.table.row_key]): row for row in rows}
        self.table.rows = rows
        self._rows_number = total
        self.table.pagination = {**pagination, "page": page, "rowsPerPage": rows_per_page, "rowsNumber": total}

    def _keep_rows_number(self, event) -> None:
        if isinstance(event.value, dict) and event.value.get("rowsNumber") != self._rows_number:
            self.table.pagination = {**event.value, "rowsNumber": self._rows_number}

    @property
    def rows(self) -> list[dict]:
        return self.table.rows

    async def _on_row_action(self, event) -> None:
        row = self._rows_by_key.get(str(event.args.get("key")))
        if row is None or self._on_action is None or event.args.get("action") in row.get("disabled", ()):
            return
        result = self._on_action(event.args.get("action"), row)
        if result is not None:
            await result
