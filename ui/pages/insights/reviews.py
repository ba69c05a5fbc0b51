"""Partner performance: the partners flagged now (each with its figure and the threshold it
crossed), the monthly reviews of every programme, and starting a month's review on demand (the
worker starts last month's on the 1st)."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.insights.reviews import flags, reviews
from backend.insights.reviews.views import ReviewView
from backend.recipients import services as recipients
from ui import navigation
from ui.components.action import perform
from ui.components.display import when
from ui.pages.insights.review_words import STATUS_COLOURS, STATUSES
from ui.session import signed_in
from ui.theme import frame

REVIEWS_PATH = f"{navigation.PARTNER_PERFORMANCE.path}/reviews"
THRESHOLDS_PATH = f"{navigation.PARTNER_PERFORMANCE.path}/thresholds"
DASHBOARD_PATH = f"{navigation.PARTNER_PERFORMANCE.path}/dashboard"
USED_CODES_PATH = f"{navigation.PARTNER_PERFORMANCE.path}/used-codes"


def review_path(review: ReviewView) -> str:
    return f"{REVIEWS_PATH}/{review.id}"


async def programme_names(actor: Actor) -> dict:
    page = await recipients.list_programmes(actor, limit=200)
    return {programme.id: programme.name for programme in page.rows}


def _flagged_now(found: list, names: dict) -> None:
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("flagged-now"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("flag", color="negative" if found else "positive")
            ui.label(f"Flagged now ({len(found)})").classes("text-subtitle1 text-weight-medium")
        if not found:
            ui.label("No partner is past a threshold.").classes("mb-muted text-body2")
        with ui.grid(columns="minmax(140px, auto) minmax(120px, auto) 1fr auto").classes("gap-x-4 gap-y-1 text-body2 w-full"):
            for flag in found:
                ui.link(flag.partner_name, f"{navigation.PARTNERS.path}/{flag.partner_id}").classes("text-primary").mark(
                    "flagged-partner"
                )
                ui.label(names.get(flag.programme_id, "")).classes("mb-muted")
                ui.label(flag.words).classes("text-negative").mark("flag-words")
                ui.label(f"since {when(flag.raised_at)}").classes("mb-muted")


def _reviews_list(found: list[ReviewView], names: dict) -> None:
    with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("reviews-list"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("fact_check", color="primary")
            ui.label("Monthly reviews").classes("text-subtitle1 text-weight-medium")
        if not found:
            ui.label("No review yet: the worker starts last month's on the 1st, or start one here.").classes(
                "mb-muted text-body2"
            )
        for review in found:
            with ui.row().classes("w-full items-center gap-3 no-wrap").mark("review-row"):
                ui.link(f"{names.get(review.programme_id, '')} · {review.month}", review_path(review)).classes(
                    "text-primary text-body1"
                ).mark("review-link")
                ui.badge(STATUSES[review.status], color=STATUS_COLOURS[review.status]).classes("q-px-sm")
                ui.label(
                    f"{review.partner_count} partners · {review.flagged_count} flagged · {review.decision_count} decisions"
                    f" · started {when(review.started_at)} by {review.started_by}"
                ).classes("mb-muted text-body2")


class ReviewsPage:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    async def build(self) -> None:
        names = await programme_names(self.actor)
        with frame(
            navigation.PARTNER_PERFORMANCE.label,
            "Partners past a threshold are flagged the moment their figures cross it; each month every partner "
            "is reviewed against the month before.",
        ) as page:
            with page.actions:
                ui.button("Dashboard", icon="insights", on_click=lambda: ui.navigate.to(DASHBOARD_PATH)).props(
                    "outline no-caps"
                ).mark("open-dashboard")
                if self.actor.can(Permission.CATALOG_WRITE):
                    ui.button("Used codes", icon="upload_file", on_click=lambda: ui.navigate.to(USED_CODES_PATH)).props(
                        "outline no-caps"
                    ).mark("open-used-codes")
                ui.button("Thresholds", icon="tune", on_click=lambda: ui.navigate.to(THRESHOLDS_PATH)).props(
                    "outline no-caps"
                ).mark("open-thresholds")
            _flagged_now(await flags.open_flags(self.actor), names)
            if self.actor.can(Permission.REPORTS_WRITE) and names:
                self._start_form(names)
            _reviews_list(await reviews.list_reviews(self.actor), names)

    def _start_form(self, names: dict) -> None:
        with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("start-review"):
            ui.label("Start a review").classes("text-subtitle1 text-weight-medium")
            with ui.row().classes("items-start gap-3"):
                programme = (
                    ui.select({str(key): name for key, name in names.items()}, value=str(next(iter(names))), label="Programme")
                    .props("outlined dense")
                    .classes("w-64")
                    .mark("review-programme")
                )
                month = ui.input("Month (YYYY-MM)", value=reviews.default_month()).props("outlined dense").classes("w-40")
                month.mark("review-month")

                async def start() -> None:
                    started = await perform(
                        lambda actor: reviews.start_review(actor, uuid.UUID(programme.value), month.value),
                        done=lambda result: (
                            f"The {result.review.month} review "
                            + ("is started." if result.created else "was already started: here it is.")
                        ),
                        fields={"month": month},
                    )
                    if started is not None:
                        ui.navigate.to(review_path(started.review))

                ui.button("Start review", icon="play_arrow", on_click=start).props("unelevated no-caps").mark(
                    "start-review-button"
                )


async def reviews_page() -> None:
    await ReviewsPage(signed_in().actor).build()
