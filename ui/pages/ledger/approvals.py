"""Approvals: the adjustments waiting for a second person. Approving writes the adjustment's
transfer; rejecting moves nothing. One's own requests show Approve disabled with the reason and
can be withdrawn (the service refuses a self-approval too)."""

from __future__ import annotations

from urllib.parse import urlencode

from nicegui import ui

from backend.core.authz import Actor
from backend.ledger import services as ledger
from backend.ledger.kinds import AdjustmentStatus
from backend.ledger.views import AdjustmentView
from backend.recipients import services as recipients
from ui import navigation
from ui.components import approval
from ui.components.action import perform
from ui.components.dialogs import ask, confirm
from ui.components.display import when
from ui.components.paged_table import Column, PagedTable, PageRequest
from ui.components.watch import Watch
from ui.pages.ledger.words import signed
from ui.theme import frame

COLUMNS = [
    Column("requested_at", "Requested"),
    Column("requested_by", "By"),
    Column("recipient", "Recipient", link=True),
    Column("programme", "Programme"),
    Column("change", "Points", align="right"),
    Column("reason", "Reason", wrap=True),
]
MAX_WAITING = 200  # a queue longer than this is a problem to see, not to page through


def is_own(adjustment: AdjustmentView, actor: Actor) -> bool:
    return adjustment.requested_by_kind == actor.kind.value and adjustment.requested_by_id == actor.id


class ApprovalsPage:
    def __init__(self) -> None:
        self.waiting: dict[str, AdjustmentView] = {}
        self.names: dict[str, tuple[str, str]] = {}  # adjustment id → (recipient, programme)
        self.table: PagedTable | None = None

    async def fetch(self, actor: Actor, request: PageRequest) -> tuple[list[dict], int]:
        found = (await ledger.list_adjustments(actor, status=AdjustmentStatus.PENDING, limit=MAX_WAITING)).adjustments
        shown = found[request.offset : request.offset + request.limit]
        people = await recipients.recipients_by_ids(actor, list({a.recipient_id for a in shown}))
        programmes = {pid: (await recipients.get_programme(actor, pid)).name for pid in {a.programme_id for a in shown}}
        self.waiting = {str(a.id): a for a in shown}
        rows = []
        for adjustment in shown:
            person = people.get(adjustment.recipient_id)
            recipient = f"{person.full_name} ({person.external_id})" if person else str(adjustment.recipient_id)
            self.names[str(adjustment.id)] = (person.full_name if person else recipient, programmes[adjustment.programme_id])
            own = is_own(adjustment, actor)
            rows.append(
                {
                    "id": str(adjustment.id),
                    "requested_at": when(adjustment.requested_at),
                    "requested_by": adjustment.requested_by_label + (" (you)" if own else ""),
                    "recipient": recipient,
                    "href": f"{navigation.POINTS.path}?{urlencode({'recipient': adjustment.recipient_id, 'programme': adjustment.programme_id})}",
                    "programme": programmes[adjustment.programme_id],
                    "change": signed(adjustment.amount, adjustment.direction),
                    "reason": adjustment.reason,
                    **approval.row_actions(own),
                }
            )
        return rows, len(found)

    async def build(self) -> None:
        with frame(
            navigation.APPROVALS.label,
            "Manual adjustments waiting for a second person: approve to move the points, or reject. "
            "Another admin approves your own requests; you may withdraw them.",
        ):
            self.table = PagedTable(
                COLUMNS,
                self.fetch,
                actions=approval.ROW_ACTIONS,
                compact=False,
                on_action=self.act,
                marker="approvals-table",
                empty_text="Nothing waits for approval",
            )
            self.watch = Watch(self.fingerprint, self.redraw)
            async with self.watch.drawing():
                await self.table.reload()

    async def fingerprint(self, actor: Actor) -> tuple:
        found = (await ledger.list_adjustments(actor, status=AdjustmentStatus.PENDING, limit=MAX_WAITING)).adjustments
        return tuple(sorted(str(a.id) for a in found))

    async def redraw(self) -> None:
        await self.table.reload(first_page=False)

    async def act(self, action: str, row: dict) -> None:
        adjustment = self.waiting.get(row["id"])
        if adjustment is None:
            return
        decided = await (self.approve(adjustment) if action == "approve" else self.reject(adjustment, own=action == "withdraw"))
        if decided:
            async with self.watch.drawing():
                await self.table.reload(first_page=False)

    async def approve(self, adjustment: AdjustmentView) -> bool:
        recipient, programme = self.names[str(adjustment.id)]
        change = signed(adjustment.amount, adjustment.direction)
        if not await confirm(
            f"Approve {change} points for {recipient}?",
            f"{adjustment.requested_by_label} asked for it: “{adjustment.reason}”. The points move at once in {programme}; "
            "a mistake is corrected by another adjustment, not undone.",
            confirm_label="Approve",
        ):
            return False
        approved = await perform(
            lambda actor: ledger.approve_adjustment(actor, adjustment.id, idempotency_key=f"console-approve-{adjustment.id}"),
            done=f"Approved: {change} points for {recipient} in {programme}.",
        )
        return approved is not None

    async def reject(self, adjustment: AdjustmentView, *, own: bool) -> bool:
        """A checker's rejection, or the maker's withdrawal (nothing moves either way)."""
        recipient, _ = self.names[str(adjustment.id)]
        title = "Withdraw your request" if own else f"Reject the request of {adjustment.requested_by_label}"
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[480px] gap-3").mark("reject-dialog"):
            ui.label(f"{title}?").classes("text-h6")
            ui.label(
                f"{signed(adjustment.amount, adjustment.direction)} points for {recipient}: “{adjustment.reason}”. "
                "No points move."
            ).classes("mb-muted")
            note = ui.input("Why (optional, kept with the decision)").props("outlined").classes("w-full").mark("decision-note")

            async def send() -> None:
                rejected = await perform(
                    lambda actor: (ledger.withdraw_adjustment if own else ledger.reject_adjustment)(
                        actor, adjustment.id, note.value or ""
                    ),
                    fields={"note": note},
                    done=f"{'Withdrew' if own else 'Rejected'} the request for {recipient}: no points moved.",
                )
                if rejected is not None:
                    dialog.submit(True)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button("Withdraw" if own else "Reject", on_click=send).props("unelevated no-caps color=negative").mark(
                    "send-rejection"
                )
        return bool(await ask(dialog))


async def approvals_page() -> None:
    await ApprovalsPage().build()
