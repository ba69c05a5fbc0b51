"""Edit forms: a record that exists opens read-only, with an explicit Edit for those who may change
it (and a note for those who may not); while a form has unsaved changes, leaving asks first — the
browser asks on a reload, a link or a closed tab (beforeunload), the console's menu asks in words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from nicegui import app, ui
from nicegui.elements.mixins.value_element import ValueElement

from ui.components.dialogs import confirm

UNSAVED_KEY = "unsaved"
# Once per page (frame() adds it): the browser's own question when a page with unsaved changes unloads.
BEFOREUNLOAD = """<script>
window.addEventListener('beforeunload', (event) => {
  if (window.mbUnsaved) { event.preventDefault(); event.returnValue = ''; }
});
</script>"""
TOGGLES = (ui.radio, ui.checkbox, ui.switch, ui.toggle)  # no read-only state in Quasar: disabled instead


def set_read_only(fields: Iterable[ui.element], read_only: bool) -> None:
    """Inputs and selects read-only (their text stays selectable); radios and checkboxes disabled."""
    for element in fields:
        prop = "disable" if isinstance(element, TOGGLES) else "readonly"
        if read_only:
            element.props(prop)
        else:
            element.props(remove=prop)


def _unsaved_forms() -> set[int]:
    """The guards of this page holding unsaved changes (a page may have several forms)."""
    return app.storage.client.setdefault(UNSAVED_KEY, set())


def _mark_unsaved(guard: ChangeGuard, unsaved: bool) -> None:
    forms = _unsaved_forms()
    (forms.add if unsaved else forms.discard)(id(guard))
    ui.run_javascript(f"window.mbUnsaved = {'true' if forms else 'false'}")


class ChangeGuard:
    """Watches a form's fields: changed from what was loaded (or last saved) means unsaved."""

    def __init__(self, fields: Iterable[ValueElement]) -> None:
        self.fields = [field for field in fields if isinstance(field, ValueElement)]
        self.loaded = self._values()
        self.unsaved = False
        for field in self.fields:
            field.on_value_change(self._changed)

    def _values(self) -> list:
        return [field.value for field in self.fields]

    def _changed(self) -> None:
        unsaved = self._values() != self.loaded
        if unsaved != self.unsaved:
            self.unsaved = unsaved
            _mark_unsaved(self, unsaved)

    def saved(self) -> None:
        """After a save (or a cancel, or the form rebuilt): what the form holds now is what is kept."""
        self.loaded = self._values()
        self.unsaved = False
        _mark_unsaved(self, False)

    async def may_discard(self) -> bool:
        """True when nothing is unsaved, or the person agrees to lose it."""
        if not self.unsaved:
            return True
        if await confirm(
            "Discard your changes?",
            "What you changed in this form is not saved; it is lost if you go on.",
            confirm_label="Discard changes",
            danger=True,
        ):
            self.saved()
            return True
        return False


async def leave(path: str) -> None:
    """The console's own navigation (the menu): asks first when this page has unsaved changes."""
    if app.storage.client.get(UNSAVED_KEY):
        if not await confirm(
            "Leave without saving?",
            "Your changes on this page are not saved; they are lost if you leave.",
            confirm_label="Leave without saving",
            danger=True,
        ):
            return
        app.storage.client[UNSAVED_KEY] = set()
        ui.run_javascript("window.mbUnsaved = false")
    ui.navigate.to(path)


class EditSwitch:
    """Read-only until Edit. ``build(actions)`` puts Edit (or, while editing, Save and Cancel) in the
    page's title bar; ``can_edit=False`` shows ``reason`` instead of Edit."""

    def __init__(
        self,
        fields: Iterable[ui.element],
        *,
        can_edit: bool,
        on_save: Callable[[], Awaitable[None]],
        on_cancel: Callable[[], None],
        save_label: str,
        reason: str,
        editing: bool = False,
        save_marker: str = "save-edit",
        editing_only: Iterable[ui.element] = (),
    ) -> None:
        self.fields = list(fields)
        self.can_edit, self.on_save, self.on_cancel = can_edit, on_save, on_cancel
        self.save_label, self.reason, self.save_marker = save_label, reason, save_marker
        self.editing = editing and can_edit
        self.editing_only = list(editing_only)  # e.g. a section's own save button
        self.guard = ChangeGuard(self.fields)
        self.bar: ui.row | None = None

    def build(self, actions: ui.row) -> None:
        with actions:
            self.bar = ui.row().classes("items-center gap-2").mark("edit-switch")
        self._show()

    def _show(self) -> None:
        set_read_only(self.fields, not self.editing)
        for element in self.editing_only:
            element.set_visibility(self.editing)
        self.bar.clear()
        with self.bar:
            if not self.can_edit:
                ui.label(self.reason).classes("mb-muted text-body2").mark("read-only-reason")
            elif self.editing:
                ui.button("Cancel", on_click=self.cancel).props("flat no-caps").mark("cancel-edit")
                ui.button(self.save_label, icon="save", on_click=self.on_save).props("unelevated no-caps").mark(self.save_marker)
            else:
                ui.button("Edit", icon="edit", on_click=self.edit).props("unelevated no-caps").mark("edit")

    def edit(self) -> None:
        self.editing = True
        self._show()

    def cancel(self) -> None:
        self.guard.saved()  # nothing to keep: the page is built again from what is stored
        self.on_cancel()
