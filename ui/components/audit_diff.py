"""An audit entry's before and after, as the list of fields that changed."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import ui

from backend.core.clock import as_utc
from ui.components.display import EMPTY, plain, when

CHANGE_COLOURS = {"added": "positive", "removed": "negative", "changed": "secondary"}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str
    kind: str  # added | removed | changed | same


def _flatten(record: dict | None, prefix: str = "") -> dict:
    """Nested objects become dotted fields (hr_attributes.grade), so each change is one line."""
    flat: dict = {}
    for key, value in (record or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def changes(before: dict | None, after: dict | None) -> list[Change]:
    """Changed fields first, then the unchanged ones for context."""
    old, new = _flatten(before), _flatten(after)
    found = []
    for name in sorted(old.keys() | new.keys()):
        if name not in old:
            kind = "added"
        elif name not in new:
            kind = "removed"
        else:
            kind = "same" if old[name] == new[name] else "changed"
        found.append(
            Change(name, plain(old.get(name)) if name in old else EMPTY, plain(new.get(name)) if name in new else EMPTY, kind)
        )
    return sorted(found, key=lambda change: change.kind == "same")


def summary(before: dict | None, after: dict | None, limit: int = 140) -> str:
    """One line for a list: what changed, old → new; or what was recorded, when there is no before."""
    found = [change for change in changes(before, after) if change.kind != "same"]
    if before is None:
        text = ", ".join(f"{change.field}: {change.after}" for change in found)
    else:
        text = "; ".join(f"{change.field}: {change.before} → {change.after}" for change in found)
    text = text or EMPTY
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_table(before: dict | None, after: dict | None) -> None:
    """The fields that changed, old value beside new; the unchanged ones are only named."""
    everything = changes(before, after)
    found = [change for change in everything if change.kind != "same"]
    unchanged = [change.field for change in everything if change.kind == "same"]
    if found:
        _changed_fields(found)
    else:
        ui.label("No field changed." if unchanged else "No field values were recorded for this entry.").classes("mb-muted")
    if unchanged:
        ui.label(f"Unchanged: {', '.join(unchanged)}").classes("mb-muted text-caption")


def _changed_fields(found: list[Change]) -> None:
    wrapping = "white-space: normal; word-break: break-word; max-width: 320px"
    table = (
        ui.table(
            columns=[
                {"name": "field", "label": "Field", "field": "field", "align": "left"},
                {"name": "before", "label": "Before", "field": "before", "align": "left"},
                {"name": "after", "label": "After", "field": "after", "align": "left"},
                {"name": "kind", "label": "", "field": "kind", "align": "left"},
            ],
            rows=[
                {"field": c.field, "before": c.before, "after": c.after, "kind": c.kind, "colour": CHANGE_COLOURS[c.kind]}
                for c in found
            ],
            row_key="field",
        )
        .classes("w-full mb-table")
        .props("flat dense hide-bottom")
        .mark("audit-changes")
    )
    table.add_slot(
        "body-cell-kind",
        """
        <q-td :props="props"><q-badge :color="props.row.colour" :label="props.value" /></q-td>""",
    )
    table.add_slot(
        "body-cell-before",
        f"""
        <q-td :props="props" :class="props.row.kind === 'added' ? 'text-grey-7' : 'text-negative'"
              style="{wrapping}">{{{{ props.value }}}}</q-td>""",
    )
    table.add_slot(
        "body-cell-after",
        f"""
        <q-td :props="props" :class="props.row.kind === 'removed' ? 'text-grey-7' : 'text-positive text-weight-medium'"
              style="{wrapping}">{{{{ props.value }}}}</q-td>""",
    )


def entry_summary(entry: dict) -> str:
    return f"{entry['action']} · {entry['actor_label']} · {when(as_utc(entry['occurred_at']))}"


def show_entry(entry: dict) -> None:
    """A dialog with who, what, when and the field-by-field change of one audit entry."""
    with ui.dialog(value=True) as dialog, ui.card().classes("q-pa-md w-[760px] max-w-[95vw]").mark("audit-entry"):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(entry["action"]).classes("text-h6")
            ui.button(icon="close", on_click=dialog.close).props("flat round dense")
        with ui.grid(columns="auto 1fr").classes("gap-x-6 gap-y-1 text-body2"):
            for label, value in (
                ("When", when(as_utc(entry["occurred_at"]))),
                ("Who", f"{entry['actor_label']} ({entry['actor_kind'].replace('_', ' ')})"),
                ("Entity", f"{entry['entity_type']} {entry['entity_id']}"),
                ("Request", entry.get("request_id") or EMPTY),
            ):
                ui.label(label).classes("mb-muted")
                ui.label(value).classes("break-all")
        change_table(entry.get("before"), entry.get("after"))
    dialog.on("hide", dialog.delete)
