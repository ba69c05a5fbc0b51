"""One monthly review: every partner's figures against the month before, flagged partners first and
highlighted with the figure and the threshold they crossed, a chart of the month, the report as PDF
or CSV, the decisions recorded on it (while open) and closing it for good."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.core.errors import NotFound
from backend.insights.reviews import decisions, mailing, reviews
from backend.insights.reviews.report import report_csv, report_pdf
from backend.insights.reviews.views import DecisionView, ReviewLineView, ReviewView
from backend.recipients import services as recipients
from ui import navigation
from ui.components.action import perform
from ui.components.dialogs import confirm
from ui.components.display import when
from ui.pages.catalog.words import category_words
from ui.pages.insights.actions import corrective_actions_button
from ui.pages.insights.review_words import DECISIONS, FLAGGED_ROW, STATUS_COLOURS, STATUSES, figure_cells
from ui.session import signed_in
from ui.theme import frame

_HEADINGS = ("Partner", "Category", "Views", "Activation rate", "Redemption rate", "Spend", "Spend share", "Flags", "")


def month_chart(lines: list[ReviewLineView]) -> dict:
    """Activation and redemption rates per partner, this month beside the last (in %)."""
    names = [line.partner_name for line in lines]

    def series(name: str, colour: str, values: list) -> dict:
        return {"name": name, "type": "bar", "itemStyle": {"color": colour}, "data": values}

    def percent(basis_points):
        return None if basis_points is None else round(basis_points / 100, 1)

    return {
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 40, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "name": "%", "max": 100},
        "series": [
            series("Activation rate", "#5b3f8f", [percent(line.current.activation_bp) for line in lines]),
            series("… last month", "#b9a7d9", [percent(line.previous.activation_bp) for line in lines]),
            series("Redemption rate", "#e0a526", [percent(line.current.redemption_bp) for line in lines]),
            series("… last month ", "#f1d396", [percent(line.previous.redemption_bp) for line in lines]),
        ],
    }


def _cell(text: str, marker: str | None = None, classes: str = "") -> None:
    with ui.element("td").classes(f"q-pa-sm {classes}"):
        label = ui.label(text).classes("text-body2")
        if marker:
            label.mark(marker)


def figures_table(review: ReviewView, lines: list[ReviewLineView], act=None) -> None:
    """``act(line)``, when given, draws the row's corrective actions (an open review only)."""
    with ui.element("q-markup-table").props("flat bordered dense wrap-cells").classes("w-full").mark("review-table"):
        with ui.element("thead"), ui.element("tr"):
            for heading in _HEADINGS:
                with ui.element("th").classes("text-left"):
                    ui.label(heading)
        with ui.element("tbody"):
            for line in lines:
                marker = "flagged-row" if line.flagged else "review-row"
                with ui.element("tr").classes(FLAGGED_ROW if line.flagged else "").mark(marker):
                    with ui.element("td").classes("q-pa-sm"):
                        ui.link(line.partner_name, f"{navigation.PARTNERS.path}/{line.partner_id}").classes("text-primary")
                    _cell(category_words(line.category))
                    for text in figure_cells(line.current, line.previous, review.currency):
                        _cell(text)
                    with ui.element("td").classes("q-pa-sm"):
                        for flag in line.flags:
                            ui.label(flag["words"]).classes("text-negative text-body2").mark("flag-words")
                    with ui.element("td").classes("q-pa-sm").style("white-space: nowrap"):
                        if act is not None:
                            act(line)


def decisions_card(lines: list[ReviewLineView], found: list[DecisionView]) -> ui.column:
    names = {line.partner_id: line.partner_name for line in lines}
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("review-decisions"):
        ui.label(f"Decisions ({len(found)})").classes("text-subtitle1 text-weight-medium")
        if not found:
            ui.label("No decision recorded yet.").classes("mb-muted text-body2")
        for decision in found:
            about = names.get(decision.partner_id, "the programme") if decision.partner_id else "the programme"
            with ui.column().classes("gap-0").mark("decision"):
                ui.label(f"{DECISIONS.get(decision.kind, decision.kind)} · {about}").classes("text-body2 text-weight-medium")
                if decision.note:
                    ui.label(decision.note).classes("text-body2")
                ui.label(f"{decision.decided_by}, {when(decision.decided_at)}").classes("mb-muted text-caption")
        return ui.column().classes("w-full gap-2")


def actions_card(lines: list[ReviewLineView], found: list) -> None:
    """The corrective actions taken from the review (re-rank, refresh, push, routing, replacement)."""
    names = {line.partner_id: line.partner_name for line in lines}
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("review-actions"):
        ui.label(f"Corrective actions ({len(found)})").classes("text-subtitle1 text-weight-medium")
        if not found:
            ui.label("None taken from this review.").classes("mb-muted text-body2")
        for action in found:
            with ui.column().classes("gap-0").mark("review-action"):
                about = names.get(action.partner_id, "")
                ui.label(
                    f"{action.kind.replace('_', ' ').capitalize()} · {action.status}" + (f" · {about}" if about else "")
                ).classes("text-body2 text-weight-medium")
                ui.label(action.summary).classes("text-body2")
                ui.label(f"{action.requested_by_label}, {when(action.requested_at)}").classes("mb-muted text-caption")


class ReviewPage:
    def __init__(self, actor: Actor, review: ReviewView) -> None:
        self.actor, self.review = actor, review

    @property
    def can_change(self) -> bool:
        return self.actor.can(Permission.REPORTS_WRITE) and not self.review.is_closed

    async def build(self) -> None:
        review = self.review
        programme = await recipients.get_programme(self.actor, review.programme_id)
        lines = await reviews.review_lines(self.actor, review.id)
        found = await decisions.list_decisions(self.actor, review.id)
        actions = await reviews.review_actions(self.actor, review.id)
        with frame(
            f"{programme.name} · {review.month}", "Partner performance review: the month against the month before."
        ) as page:
            with page.actions:
                ui.button("PDF", icon="picture_as_pdf", on_click=self.download_pdf).props("outline no-caps").mark("download-pdf")
                ui.button("CSV", icon="download", on_click=self.download_csv).props("outline no-caps").mark("download-csv")
                if self.can_change:
                    ui.button("Close review", icon="lock", on_click=self.close).props("unelevated no-caps").mark("close-review")
            ui.link("← Partner performance", navigation.PARTNER_PERFORMANCE.path).classes("text-primary text-body2")
            with ui.row().classes("items-center gap-3").mark("review-standing"):
                ui.badge(STATUSES[review.status], color=STATUS_COLOURS[review.status]).classes("q-px-md q-py-xs text-body2").mark(
                    "review-status"
                )
                closed = f" · closed {when(review.closed_at)} by {review.closed_by}" if review.closed_at else ""
                ui.label(
                    f"{review.partner_count} partners · {review.flagged_count} flagged · started {when(review.started_at)} "
                    f"by {review.started_by}{closed}"
                ).classes("mb-muted text-body2")
            if review.closing_note:
                ui.label(review.closing_note).classes("text-body2").mark("closing-note")
            if lines:
                with ui.card().classes("mb-card q-pa-md w-full"):
                    ui.echart(month_chart(lines)).classes("w-full").style("height: 280px").mark("review-chart")
                figures_table(review, lines, self._actions_button if self.can_change else None)
            else:
                ui.label("No partner had figures in this month or the one before.").classes("mb-muted").mark("review-empty")
            actions_card(lines, actions)
            form_place = decisions_card(lines, found)
            if self.can_change:
                with form_place:
                    self._decision_form(lines)

    def _actions_button(self, line: ReviewLineView) -> None:
        corrective_actions_button(self.actor, line.partner_id, self._reload, self.review.id)

    async def _reload(self) -> None:
        ui.navigate.reload()

    def _decision_form(self, lines: list[ReviewLineView]) -> None:
        partners = {"": "The programme"} | {str(line.partner_id): line.partner_name for line in lines}
        with ui.row().classes("items-start gap-3 w-full").mark("decision-form"):
            kind = (
                ui.select(DECISIONS, value="watch", label="Decision")
                .props("outlined dense")
                .classes("w-48")
                .mark("decision-kind")
            )
            about = ui.select(partners, value="", label="About").props("outlined dense").classes("w-56").mark("decision-partner")
            note = ui.input("Note").props("outlined dense").classes("col-grow").mark("decision-note")

            async def record() -> None:
                recorded = await perform(
                    lambda actor: decisions.record_decision(
                        actor, self.review.id, kind.value, note.value or "", uuid.UUID(about.value) if about.value else None
                    ),
                    done="The decision is recorded on the review.",
                    fields={"note": note, "kind": kind},
                )
                if recorded is not None:
                    ui.navigate.reload()

            ui.button("Record", icon="add", on_click=record).props("unelevated no-caps").mark("record-decision")

    async def close(self) -> None:
        if not await confirm(
            f"Close the {self.review.month} review?",
            "A closed review never changes again: no decision can be added and the report stays as it is.",
            confirm_label="Close review",
        ):
            return
        closed = await perform(lambda actor: reviews.close_review(actor, self.review.id), done="The review is closed.")
        if closed is not None:
            ui.navigate.reload()

    async def download_pdf(self) -> None:
        report = await perform(lambda actor: mailing.review_report(actor, self.review.id))
        if report is not None:
            ui.download.content(report_pdf(report), f"{report.file_stem}.pdf", "application/pdf")

    async def download_csv(self) -> None:
        report = await perform(lambda actor: mailing.review_report(actor, self.review.id))
        if report is not None:
            ui.download.content(report_csv(report).encode("utf-8-sig"), f"{report.file_stem}.csv", "text/csv")


async def review_page(review_id: str) -> None:
    actor = signed_in().actor
    try:
        review = await reviews.get_review(actor, uuid.UUID(review_id))
    except (ValueError, NotFound):
        with frame("Review not found"):
            ui.label(f"There is no partner review with id {review_id}.").classes("text-body1").mark("review-not-found")
            ui.link("Back to partner performance", navigation.PARTNER_PERFORMANCE.path)
        return
    await ReviewPage(actor, review).build()
