"""Codes a partner reports used, as a CSV: the file is checked first (each line matched to an
issued reward, already recorded, or unmatched, codes masked), and recorded only when the admin
confirms — each matched code then becomes a redemption and its spend."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, tzinfo

from nicegui import events, ui

from backend.core.authz import Actor
from backend.core.clock import as_utc
from backend.insights import redemptions
from backend.insights.used_codes_review import ALREADY_RECORDED, MATCHED, UNMATCHED, UsedCodesReview, review_used_codes
from backend.partners.services import profiles as partners
from ui import navigation
from ui.components.action import perform
from ui.components.display import when
from ui.components.local_time import zone_name
from ui.pages.insights.reviews import USED_CODES_PATH
from ui.session import signed_in, time_zone
from ui.theme import frame

__all__ = ["USED_CODES_PATH", "UsedCodesPage", "used_codes_page"]

WORDS = {MATCHED: "Matched", ALREADY_RECORDED: "Already recorded", UNMATCHED: "Unmatched"}
COLOURS = {MATCHED: "positive", ALREADY_RECORDED: "grey-7", UNMATCHED: "negative"}
SHOWN = 500  # lines listed; the counts cover the whole file


class UsedCodesPage:
    def __init__(self, actor: Actor, names: dict) -> None:
        self.actor, self.names = actor, names
        self.content: bytes | None = None
        self.review: UsedCodesReview | None = None
        self.zone: tzinfo = UTC  # the zone the review read times in; recording uses the same

    def build(self) -> None:
        with frame("Used codes", "Codes a partner reports used: checked line by line before they are recorded.") as page:
            with page.actions:
                ui.link("← Partner performance", navigation.PARTNER_PERFORMANCE.path).classes("text-primary text-body2")
            with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("used-codes-form"):
                self.partner = ui.select(self.names, label="Partner").props("outlined dense").classes("w-72")
                self.partner.mark("used-codes-partner")
                ui.label(
                    "A CSV file with a 'code' column and optionally 'used_at' (ISO 8601; a time without a zone is "
                    f"read in {zone_name()}, your browser's time zone)."
                ).classes("mb-muted text-body2").mark("used-codes-hint")
                self.upload = (
                    ui.upload(label="Used codes (.csv)", auto_upload=True, on_upload=self.received)
                    .props("flat bordered accept=.csv,text/csv")
                    .classes("w-full")
                    .mark("used-codes-upload")
                )
            self.result = ui.column().classes("w-full gap-2")

    async def received(self, event: events.UploadEventArguments) -> None:
        await self.check(await event.file.read())
        self.upload.reset()

    async def check(self, content: bytes) -> None:
        """Review the file for the chosen partner; nothing is recorded yet."""
        if not self.partner.value:
            ui.notify("Choose the partner first.", type="warning")
            return
        partner_id, zone = uuid.UUID(str(self.partner.value)), time_zone()
        review = await perform(lambda actor: review_used_codes(actor, partner_id, io.BytesIO(content), zone=zone))
        self.zone = zone
        self.content, self.review = (content, review) if review is not None else (None, None)
        self._draw(partner_id)

    def _draw(self, partner_id: uuid.UUID) -> None:
        self.result.clear()
        if self.review is None:
            return
        counts = self.review.counts
        with self.result, ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("used-codes-review"):
            ui.label(
                f"{counts[MATCHED]:,} matched · {counts[ALREADY_RECORDED]:,} already recorded · {counts[UNMATCHED]:,} unmatched"
            ).classes("text-subtitle1 text-weight-medium").mark("used-codes-counts")
            ui.label(f"Times without a zone are read in {self.review.zone}, your browser's time zone.").classes(
                "mb-muted text-body2"
            ).mark("used-codes-zone")
            with ui.element("q-markup-table").props("flat bordered dense").classes("w-full"):
                with ui.element("thead"), ui.element("tr"):
                    for heading in ("Line", "Code", "Used at", "Outcome"):
                        with ui.element("th").classes("text-left"):
                            ui.label(heading)
                with ui.element("tbody"):
                    for row in self.review.rows[:SHOWN]:
                        with ui.element("tr").mark(f"used-code-{row.status}"):
                            for text in (str(row.line), row.masked_code, when(as_utc(row.used_at)) if row.used_at else "now"):
                                with ui.element("td").classes("q-pa-sm"):
                                    ui.label(text).classes("text-body2")
                            with ui.element("td").classes("q-pa-sm"):
                                ui.badge(WORDS[row.status], color=COLOURS[row.status])
            if len(self.review.rows) > SHOWN:
                ui.label(f"The first {SHOWN:,} of {len(self.review.rows):,} lines.").classes("mb-muted text-body2")
            with ui.row().classes("gap-2"):
                record = ui.button(
                    f"Record {counts[MATCHED]:,} redemptions", icon="check", on_click=lambda: self.record(partner_id)
                ).props("unelevated no-caps")
                record.mark("used-codes-record")
                record.set_enabled(counts[MATCHED] > 0)
                ui.button("Discard", on_click=self.discard).props("flat no-caps").mark("used-codes-discard")

    async def record(self, partner_id: uuid.UUID) -> None:
        if self.content is None:
            return
        content, zone = self.content, self.zone
        read_in = f"times without a zone read in {zone_name(zone)}"
        outcomes = await perform(
            lambda actor: redemptions.report_used_codes_file(actor, partner_id, io.BytesIO(content), zone=zone),
            done=lambda found: f"{sum(o.status == redemptions.RECORDED for o in found):,} redemptions recorded ({read_in}).",
        )
        if outcomes is not None:
            self.discard()
            recorded = sum(o.status == redemptions.RECORDED for o in outcomes)
            with self.result:
                ui.label(f"{recorded:,} redemptions recorded ({read_in}).").classes("text-body1").mark("used-codes-recorded")

    def discard(self) -> None:
        self.content, self.review = None, None
        self.result.clear()


async def used_codes_page() -> None:
    actor = signed_in().actor
    page = await partners.list_partners(actor, limit=200)
    UsedCodesPage(actor, {str(p.id): p.name for p in page.rows}).build()
