"""Contact corrections from a CSV: each row names a recipient and the email, phone or WhatsApp number
to use. The service checks every row first (one bad row and nothing changes: the card lists each bad
line with its column and reason), then applies them all and resends the corrected recipients'
failed deliveries (the card lists each delivery resent, or why not)."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.events import UploadEventArguments

from backend.core.authz import Actor
from backend.deliveries.services import contact_fixes, listing, resending
from backend.recipients import services as recipients
from ui.components.action import perform, sentence
from ui.pages.deliveries.words import channel_name
from ui.session import current_actor

ERROR_COLUMNS = [
    {"name": "line", "label": "Line", "field": "line", "align": "right"},
    {"name": "field", "label": "Column", "field": "field", "align": "left"},
    {"name": "message", "label": "What is wrong", "field": "message", "align": "left", "style": "white-space: normal"},
]
RESEND_COLUMNS = [
    {"name": "recipient", "label": "Recipient", "field": "recipient", "align": "left"},
    {"name": "outcome", "label": "Outcome", "field": "outcome", "align": "left"},
    {"name": "detail", "label": "Detail", "field": "detail", "align": "left", "style": "white-space: normal"},
]


def counted(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _result_table(columns: list[dict], rows: list[dict], marker: str) -> None:
    table = ui.table(columns=columns, rows=rows, row_key="id").classes("w-full mb-table").props("flat dense").mark(marker)
    table.add_slot(
        "body-cell-outcome",
        '<q-td :props="props"><q-badge outline rounded class="mb-status" :color="props.row.colour" :label="props.value" /></q-td>',
    )


async def _resend_rows(actor: Actor, report: resending.ResendReport) -> list[dict]:
    """A row per delivery the corrections resent or could not, naming its recipient."""
    ids = [r.delivery_id for r in report.resent] + [r.delivery_id for r in report.refused]
    found = await listing.deliveries_by_ids(actor, ids)
    people = await recipients.recipients_by_ids(actor, list({d.recipient_id for d in found.values()}))

    def who(delivery_id) -> str:
        delivery = found.get(delivery_id)
        person = people.get(delivery.recipient_id) if delivery else None
        return f"{person.full_name} ({person.external_id})" if person else str(delivery_id)

    rows = [
        {
            "id": str(r.delivery_id),
            "recipient": who(r.delivery_id),
            "outcome": "Resent",
            "colour": "positive",
            "detail": f"by {channel_name(r.channel)} to {r.contact}",
        }
        for r in report.resent
    ]
    rows += [
        {
            "id": str(r.delivery_id),
            "recipient": who(r.delivery_id),
            "outcome": "Not resent",
            "colour": "negative",
            "detail": sentence(r.message),
        }
        for r in report.refused
    ]
    return rows


def corrections_card(on_done: Callable[[], Awaitable[None]]) -> None:
    """The card: a file picker, then what became of the file (its bad lines, or what was resent)."""
    results: ui.column  # below the file picker, built at the end

    async def received(event: UploadEventArguments) -> None:
        content = await event.file.read()
        event.sender.reset()
        report = await perform(lambda actor: contact_fixes.correct_contacts_from_csv(actor, io.BytesIO(content)))
        if report is None:
            return
        await show(report)
        await on_done()

    async def show(report: contact_fixes.CorrectionReport) -> None:
        results.clear()
        if not report.applied:
            message = (
                f"Nothing changed: {counted(len(report.errors), 'problem')} in {counted(report.rows, 'row')}. "
                "Fix the lines below and send the file again."
            )
            ui.notify(message, type="negative", multi_line=True, close_button=True)
            with results:
                ui.label(message).classes("text-body2 text-negative").mark("corrections-summary")
                _result_table(
                    ERROR_COLUMNS,
                    [
                        {"id": f"{e.line}-{e.field}-{index}", "line": e.line, "field": e.field, "message": sentence(e.message)}
                        for index, e in enumerate(report.errors)
                    ],
                    "corrections-errors",
                )
            return
        resent, refused = len(report.resend.resent), len(report.resend.refused)
        message = (
            f"{counted(report.rows, 'row')} applied: {counted(report.corrected, 'contact')} corrected, "
            f"{report.unchanged:,} already so; resent {counted(resent, 'failed delivery', 'failed deliveries')}"
            + (f", {refused:,} not resent (see why below)." if refused else ".")
        )
        ui.notify(message, type="warning" if refused else "positive", multi_line=True, close_button=bool(refused))
        actor = await current_actor()
        rows = await _resend_rows(actor, report.resend) if actor else []
        with results:
            ui.label(message).classes("text-body2").mark("corrections-summary")
            if rows:
                _result_table(RESEND_COLUMNS, rows, "corrections-resent")

    with ui.expansion("Correct contacts from a CSV", icon="upload_file").classes("mb-card w-full").mark("corrections-card"):
        with ui.column().classes("w-full gap-2 q-pa-sm"):
            ui.label(
                "One row per recipient: external_id, then any of email, phone, whatsapp (an empty cell keeps the contact). "
                "Every row is checked first; one bad row and nothing changes. Once applied, the failed deliveries of "
                "the corrected recipients are resent."
            ).classes("mb-muted text-body2")
            ui.upload(label="Choose or drop the corrections CSV", auto_upload=True, on_upload=received).props(
                'accept=".csv,text/csv" flat bordered'
            ).classes("w-full").mark("corrections-file")
            results = ui.column().classes("w-full gap-2")
