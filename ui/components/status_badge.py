"""How a status reads everywhere (a page's header, a table cell): an outlined pill with a dot, never
a filled block the size of a button beside the buttons, so nobody tries to click it. The look is the
``.mb-status`` rule in ``ui/theme.py``."""

from __future__ import annotations

from nicegui import ui

STATUS_PROPS = "outline rounded"
STATUS_CLASS = "mb-status"


def status_badge(text: str, colour: str, marker: str | None = None) -> ui.badge:
    element = ui.badge(text, color=colour).props(STATUS_PROPS).classes(STATUS_CLASS)
    return element.mark(marker) if marker else element


def status_cell(column: str) -> str:
    """A table's body slot showing ``column`` as a status, coloured by the row's ``<column>_colour``."""
    return f"""<q-td :props="props"><q-badge {STATUS_PROPS} class="{STATUS_CLASS}" :color="props.row.{column}_colour"
        :label="props.value" /></q-td>"""
