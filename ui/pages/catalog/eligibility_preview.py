"""An eligibility rule as it is typed: checked on every pause in typing (no database needed), and
when valid, counted over the active recipients ("N of M recipients eligible"). An invalid rule
shows where it goes wrong (a caret under the position) and why."""

from __future__ import annotations

from nicegui import ui

from backend.catalog.eligibility import RuleError
from backend.catalog.services import eligibility, rule_attributes
from backend.core.errors import DomainError
from ui.components.action import sentence
from ui.session import current_actor

EXAMPLES = 'e.g.  country in [IN, DE] and grade >= 5   ·   department == "Sales" or not (tenure < 1)'


def caret_lines(text: str, position: int) -> str:
    """The line of ``text`` holding ``position``, and a caret under it."""
    before = text[:position]
    line_number = before.count("\n")
    column = len(before) - (before.rfind("\n") + 1)
    return f"{text.split(chr(10))[line_number]}\n{' ' * column}^"


class EligibilityPreview:
    def __init__(self, rule: str = "", title: str = "Eligibility") -> None:
        self._latest = 0
        self.known: list[str] | None = None  # the attributes recipients carry, read on the first check
        with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("eligibility-card"):
            with ui.row().classes("items-center gap-2"):
                ui.icon("rule", color="primary")
                ui.label(title).classes("text-subtitle1 text-weight-medium")
            self.input = (
                ui.textarea("Rule (empty: every recipient)", value=rule, on_change=self._changed)
                .props("outlined autogrow debounce=300 input-class=font-mono")
                .classes("w-full")
                .mark("eligibility-rule")
            )
            ui.label(EXAMPLES).classes("mb-muted text-caption")
            self.attributes = ui.label().classes("mb-muted text-caption").mark("eligibility-attributes")
            self.result = ui.row().classes("w-full items-center gap-2 no-wrap")
            self.warning = ui.row().classes("w-full items-center gap-2 no-wrap").mark("eligibility-warning")

    @property
    def value(self) -> str:
        return self.input.value or ""

    async def _changed(self) -> None:
        await self.show()

    async def show(self) -> None:
        self._latest += 1
        ticket, text = self._latest, self.value
        try:
            eligibility.check_rule(text)
        except RuleError as error:
            self._invalid(text, error)
            return
        actor = await current_actor()
        if actor is None:
            return
        if self.known is None:
            self.known = await rule_attributes.known_attributes(actor)
            self.attributes.set_text("Attributes recipients have: " + ", ".join(self.known))
        try:
            preview = await eligibility.preview_eligibility(actor, text)
        except DomainError as error:
            if ticket == self._latest:
                self.warning.clear()
                self._message("error", "negative", sentence(error.errors[0].message), "eligibility-error")
            return
        if ticket != self._latest:  # the person kept typing: a newer count is on its way
            return
        self.input.error = None
        share = f" ({preview.eligible / preview.total:.0%})" if preview.total else ""
        # Green only when the rule admits someone: "0 of 0" or "0 of 120" is a warning, not a success.
        icon, colour = ("groups", "positive") if preview.eligible else ("group_off", "warning")
        self._message(
            icon, colour, f"{preview.eligible:,} of {preview.total:,} recipients eligible{share}", "eligibility-preview"
        )
        self._warn_unknown(text)

    def _warn_unknown(self, text: str) -> None:
        self.warning.clear()
        unknown = rule_attributes.unknown_attributes(text, self.known or [])
        if not unknown:
            return
        names = ", ".join(f"“{name}”" for name in unknown)
        with self.warning:
            ui.icon("warning", color="warning", size="22px")
            ui.label(
                f"No recipient has the attribute{'s' if len(unknown) > 1 else ''} {names}: the rule matches nobody "
                "until one does. Check the spelling against the list above."
            ).classes("text-body2 text-warning").mark("eligibility-unknown")

    def _message(self, icon: str, colour: str, text: str, marker: str) -> None:
        self.result.clear()
        with self.result:
            ui.icon(icon, color=colour, size="22px")
            ui.label(text).classes(f"text-body1 text-weight-medium text-{colour}").mark(marker)

    def _invalid(self, text: str, error: RuleError) -> None:
        self.warning.clear()
        self.input.error = f"Invalid rule at position {error.position}: {error.reason}"
        self.result.clear()
        with self.result, ui.column().classes("gap-1 w-full"):
            with ui.row().classes("items-center gap-2 no-wrap"):
                ui.icon("error", color="negative", size="22px")
                ui.label(f"Invalid rule at position {error.position}: {error.reason}").classes("text-body1 text-negative").mark(
                    "eligibility-error"
                )
            ui.label(caret_lines(text, error.position)).classes(
                "font-mono text-body2 q-pa-sm rounded-borders bg-red-1 w-full"
            ).style("white-space: pre; overflow-x: auto").mark("eligibility-caret")
