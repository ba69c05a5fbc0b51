"""One maker-checker pattern for every approval in the console (go-live, uploads, adjustments,
issuance approvals, ticket refunds): the checker sees an explicit approve and reject; the maker sees
the approve disabled with the reason written beside it, and "Withdraw" as their own action (never a
"Reject" that refuses them). The services refuse a self-approval too; this only says it first.
Bulk actions over a selection (``SelectionDecisions``) follow the same rule row by row: the
checker's Approve/Reject skip the person's own requests and say how many and why; their own
are offered "Withdraw selected"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from ui.components.paged_table import RowAction

MAKER_REASON = "You requested this; another admin must approve."

APPROVE = RowAction("approve", "Approve", "check_circle", "positive")
REJECT = RowAction("reject", "Reject", "cancel", "negative")
WITHDRAW = RowAction("withdraw", "Withdraw", "undo", "primary")
ROW_ACTIONS = [APPROVE, REJECT, WITHDRAW]

Handler = Callable[[], Awaitable[None]]
Decide = Callable[[str, list[str], str], Awaitable[None]]


def row_actions(own: bool, *, reason: str = MAKER_REASON) -> dict:
    """The action fields of a waiting request's row in a PagedTable made with ``ROW_ACTIONS``."""
    if own:
        return {"actions": [APPROVE.name, WITHDRAW.name], "disabled": [APPROVE.name], "action_note": reason}
    return {"actions": [APPROVE.name, REJECT.name], "disabled": [], "action_note": ""}


def maker_note(reason: str = MAKER_REASON, *, marker: str = "maker-reason") -> ui.row:
    """The reason the maker cannot approve, in words on the page (a tooltip is invisible on a phone)."""
    with ui.row().classes("items-start gap-2 no-wrap q-pa-sm rounded-borders bg-amber-1 text-brown-9").mark(marker) as note:
        ui.icon("info", color="warning")
        ui.label(reason).classes("text-body2")
    return note


def decision_bar(
    *,
    own: bool,
    marker: str,
    approve_label: str,
    on_approve: Handler,
    on_reject: Handler,
    on_withdraw: Handler,
    reject_label: str = "Reject",
    approve_icon: str = "check_circle",
    reason: str = MAKER_REASON,
) -> ui.column:
    """Approve (disabled for the maker, with ``reason``), then Reject for a checker or Withdraw for the
    maker. Markers: ``approve-<marker>``, ``reject-<marker>``, ``withdraw-<marker>``, ``maker-reason``."""
    with ui.column().classes("gap-2").mark(f"decision-{marker}") as bar:
        with ui.row().classes("items-center gap-2"):
            approve = (
                ui.button(approve_label, icon=approve_icon, on_click=on_approve)
                .props(f"unelevated no-caps color=positive {'disable' if own else ''}")
                .mark(f"approve-{marker}")
            )
            if own:
                with approve:
                    ui.tooltip(reason)
                ui.button("Withdraw", icon=WITHDRAW.icon, on_click=on_withdraw).props("outline no-caps").mark(
                    f"withdraw-{marker}"
                )
            else:
                ui.button(reject_label, icon=REJECT.icon, on_click=on_reject).props("outline no-caps color=negative").mark(
                    f"reject-{marker}"
                )
        if own:
            maker_note(reason)
    return bar


def allows(row: dict, action: str) -> bool:
    """Whether a row made by ``row_actions`` offers ``action`` to this person."""
    return action in row.get("actions", ()) and action not in row.get("disabled", ())


def _them(count: int, one: str, many: str) -> tuple[str, str]:
    return (one, "it") if count == 1 else (many, "them")


def skipped_words(action: str, count: int, noun: tuple[str, str] = ("request", "requests")) -> str:
    """Why ``count`` selected rows were left out of a bulk ``action``, in words."""
    if not count:
        return ""
    what, pronoun = _them(count, *noun)
    if action == WITHDRAW.name:
        return f"{count:,} {what} of other people skipped: only the person who asked withdraws; a checker rejects {pronoun}."
    return f"{count:,} of your own {noun[1]} skipped: another admin approves or rejects {pronoun}; you may withdraw {pronoun}."


class SelectionDecisions:
    """ "Approve selected", "Reject selected" and "Withdraw selected" over a table's multiple
    selection, whose rows come from ``row_actions``. Each button counts the selected rows it may
    act on; clicking it acts on those and hands the page ``(action, ids, skipped)``, ``skipped``
    saying how many were left out and why (also shown at once). Call ``refresh()`` when the
    selection changes. Markers: ``approve-selected``, ``reject-selected``, ``withdraw-selected``,
    ``selection-own-note``."""

    def __init__(self, table: ui.table, on_decide: Decide, *, noun: tuple[str, str] = ("request", "requests")) -> None:
        self.table, self.on_decide, self.noun = table, on_decide, noun
        with ui.column().classes("gap-1 items-end") as self.element:
            with ui.row().classes("items-center gap-2"):
                self.buttons = {
                    APPROVE.name: ui.button(on_click=lambda: self.decide(APPROVE.name), icon="done_all")
                    .props("unelevated no-caps color=positive")
                    .mark("approve-selected"),
                    REJECT.name: ui.button(on_click=lambda: self.decide(REJECT.name), icon="block")
                    .props("outline no-caps color=negative")
                    .mark("reject-selected"),
                    WITHDRAW.name: ui.button(on_click=lambda: self.decide(WITHDRAW.name), icon=WITHDRAW.icon)
                    .props("outline no-caps")
                    .mark("withdraw-selected"),
                }
            self.own_note = maker_note(marker="selection-own-note")
        self.refresh()

    def chosen(self, action: str) -> tuple[list[str], int]:
        """The selected rows' ids ``action`` applies to, and how many others were selected."""
        rows = list(self.table.selected)
        ids = [str(row["id"]) for row in rows if allows(row, action)]
        return ids, len(rows) - len(ids)

    def refresh(self) -> None:
        for action, button in self.buttons.items():
            count = len(self.chosen(action)[0])
            verb = {APPROVE.name: "Approve", REJECT.name: "Reject", WITHDRAW.name: "Withdraw"}[action]
            button.text = f"{verb} selected ({count:,})" if count else f"{verb} selected"
            button.set_enabled(count > 0)
        own = len(self.chosen(WITHDRAW.name)[0])
        self.buttons[WITHDRAW.name].set_visibility(own > 0)
        self.own_note.set_visibility(own > 0)
        if own:
            what, pronoun = _them(own, *self.noun)
            self.own_note.clear()
            with self.own_note:
                ui.icon("info", color="warning")
                ui.label(
                    f"{own:,} selected {what} {'is' if own == 1 else 'are'} your own: another admin approves or rejects "
                    f"{pronoun}; you may withdraw {pronoun}."
                ).classes("text-body2")

    async def decide(self, action: str) -> None:
        ids, skipped = self.chosen(action)
        words = skipped_words(action, skipped, self.noun)
        if not ids:
            ui.notify(words or "Select the rows to decide first.", type="warning", multi_line=True)
            return
        if words:
            ui.notify(words, type="warning", multi_line=True)
        await self.on_decide(action, ids, words)
