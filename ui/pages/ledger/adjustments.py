"""Manual adjustments of a wallet, maker-checker: finance asks for a credit or a debit with a
reason here; nothing moves until a second person approves it on the Approvals page."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor
from backend.ledger import services as ledger
from backend.ledger.kinds import Direction
from backend.ledger.views import AdjustmentView, Balance
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.components.display import EMPTY, when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.pages.ledger.words import DIRECTIONS, STATUS_COLOURS, signed

COLUMNS = [
    Column("requested_at", "Requested"),
    Column("requested_by", "By"),
    Column("change", "Points", align="right"),
    Column("reason", "Reason", wrap=True),
    Column("status", "Status", badge=True),
    Column("decided", "Decided", wrap=True),
]
MAX_LISTED = 200  # adjustments are rare; the newest this many of a wallet are listed


def decision(adjustment: AdjustmentView) -> str:
    if adjustment.decided_at is None:
        return "Waiting for a second person"
    note = f": “{adjustment.decision_note}”" if adjustment.decision_note else ""
    return f"{adjustment.decided_by_label}, {when(adjustment.decided_at)}{note}"


def _row(adjustment: AdjustmentView) -> dict:
    return {
        "id": str(adjustment.id),
        "requested_at": when(adjustment.requested_at),
        "requested_by": adjustment.requested_by_label,
        "change": signed(adjustment.amount, adjustment.direction),
        "reason": adjustment.reason or EMPTY,
        "status": adjustment.status.value.capitalize(),
        "status_colour": STATUS_COLOURS[adjustment.status.value],
        "decided": decision(adjustment),
    }


def adjustments_table(balance: Balance) -> PagedTable:
    async def fetch(actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        page = await ledger.list_adjustments(
            actor, programme_id=balance.programme_id, recipient_id=balance.recipient_id, limit=MAX_LISTED
        )
        found = page.adjustments
        return [_row(adjustment) for adjustment in found[request.offset : request.offset + request.limit]], len(found)

    return PagedTable(COLUMNS, fetch, marker="adjustments-table", empty_text="No manual adjustments", rows_per_page=10)


def whole(value: float | None) -> int | float | None:
    """ui.number hands over a float; a whole one is points, anything else the service refuses."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


async def request_adjustment(balance: Balance, recipient_name: str, programme_name: str) -> AdjustmentView | None:
    """Ask, in a dialog, for a credit or a debit; the request waits for approval."""
    # One request per dialog, however often "Request" is clicked (a slow network, a double click).
    idempotency_key = f"console-adjustment-{uuid.uuid4()}"
    with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[520px] gap-3").mark("adjustment-dialog"):
        ui.label("Request a manual adjustment").classes("text-h6")
        ui.label(
            f"{recipient_name} · {programme_name}. Nothing moves until a second person with the permission "
            "“ledger:adjust” approves it."
        ).classes("mb-muted text-body2")
        direction = (
            ui.radio({d.value: label for d, label in DIRECTIONS.items()}, value=Direction.CREDIT.value)
            .props("inline")
            .mark("adjustment-direction")
        )
        amount = ui.number("Points", min=1, step=1, precision=0).props("outlined").classes("w-full").mark("adjustment-amount")
        ui.label(f"Available now: {balance.available:,} points; a debit cannot be larger.").classes("mb-muted text-caption").mark(
            "adjustment-available"
        )
        reason = (
            ui.textarea("Reason", placeholder="e.g. goodwill credit for ticket T-1042")
            .props("outlined autogrow")
            .classes("w-full")
            .mark("adjustment-reason")
        )

        async def send() -> None:
            requested = await perform(
                lambda actor: ledger.request_adjustment(
                    actor,
                    balance.programme_id,
                    balance.recipient_id,
                    direction.value,
                    whole(amount.value),
                    reason.value or "",
                    idempotency_key=idempotency_key,
                ),
                fields={"amount": amount, "reason": reason},
                done=lambda a: (
                    f"Requested {signed(a.amount, a.direction)} points for {recipient_name}: "
                    "it waits for a second person's approval."
                ),
            )
            if requested is not None:
                dialog.submit(requested)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button("Request approval", on_click=send).props("unelevated no-caps").mark("send-adjustment")
    return await ask(dialog)
