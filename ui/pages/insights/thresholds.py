"""Thresholds of a programme: what flags a partner (a rate or share under a limit over N days, or
too many days without a redemption), per partner category or for every partner; set, changed and
removed by people with reports:write, every change audited."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.insights.reviews import thresholds
from backend.insights.reviews.thresholds import ThresholdInput
from backend.insights.reviews.views import DAYS_WITHOUT_REDEMPTION, METRIC_LABELS, ThresholdView
from ui import navigation
from ui.components.action import perform
from ui.components.dialogs import confirm
from ui.components.display import when
from ui.pages.insights.reviews import programme_names
from ui.session import signed_in
from ui.theme import frame


class ThresholdsPage:
    def __init__(self, actor: Actor, names: dict) -> None:
        self.actor, self.names = actor, names
        self.programme_id: uuid.UUID | None = next(iter(names), None)
        self.listing: ui.column | None = None

    async def build(self) -> None:
        with frame(
            "Performance thresholds", "A partner past one of these is flagged at once, on its page and in the inbox."
        ) as page:
            with page.actions:
                if self.names:
                    ui.select(
                        {str(key): name for key, name in self.names.items()},
                        value=str(self.programme_id),
                        label="Programme",
                        on_change=self.programme_changed,
                    ).props("outlined dense").classes("w-64").mark("thresholds-programme")
            ui.link("← Partner performance", navigation.PARTNER_PERFORMANCE.path).classes("text-primary text-body2")
            if not self.names:
                ui.label("Create a programme first.").classes("mb-muted")
                return
            self.listing = ui.column().classes("w-full gap-2").mark("thresholds-list")
            if self.actor.can(Permission.REPORTS_WRITE):
                self._form()
        await self.show()

    async def programme_changed(self, event) -> None:
        self.programme_id = uuid.UUID(event.value)
        await self.show()

    async def show(self) -> None:
        found = await thresholds.list_thresholds(self.actor, self.programme_id)
        self.listing.clear()
        with self.listing, ui.card().classes("mb-card q-pa-md gap-2 w-full"):
            ui.label(f"Thresholds of {self.names[self.programme_id]}").classes("text-subtitle1 text-weight-medium")
            if not found:
                ui.label("None yet: no partner of this programme is flagged.").classes("mb-muted text-body2")
            for threshold in found:
                self._row(threshold)

    def _row(self, threshold: ThresholdView) -> None:
        with ui.row().classes("w-full items-center justify-between no-wrap").mark("threshold-row"):
            with ui.column().classes("gap-0"):
                ui.label(threshold.words).classes("text-body1").mark("threshold-words")
                minimum = f" · judged from {threshold.min_views} views" if threshold.min_views else ""
                ui.label(f"Set {when(threshold.updated_at)} by {threshold.updated_by}{minimum}").classes("mb-muted text-caption")
            if self.actor.can(Permission.REPORTS_WRITE):

                async def remove(chosen=threshold) -> None:
                    if await confirm(
                        "Remove this threshold?", f"{chosen.words}. Its open flags are cleared.", confirm_label="Remove"
                    ):
                        await perform(
                            lambda actor: thresholds.remove_threshold(actor, chosen.id), done="The threshold is removed."
                        )
                        await self.show()

                ui.button(icon="delete", on_click=remove).props("flat round dense").mark("remove-threshold")

    def _form(self) -> None:
        with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("threshold-form"):
            ui.label("Set a threshold").classes("text-subtitle1 text-weight-medium")
            ui.label("One per category and metric: setting it again changes it.").classes("mb-muted text-caption")
            with ui.row().classes("items-start gap-3"):
                metric = ui.select(METRIC_LABELS, value="activation_rate", label="Metric").props("outlined dense").classes("w-56")
                metric.mark("threshold-metric")
                limit = ui.input("Limit (% or days)", value="20").props("outlined dense").classes("w-36").mark("threshold-limit")
                window = ui.number("Over (days)", value=30, min=1, max=366, format="%d").props("outlined dense").classes("w-28")
                window.mark("threshold-window")
                category = ui.input("Category (blank: every partner)").props("outlined dense").classes("w-56")
                category.mark("threshold-category")
                minimum = ui.number("From views", value=0, min=0, format="%d").props("outlined dense").classes("w-28")
                minimum.mark("threshold-min-views")
            fields = {"limit_value": limit, "window_days": window, "category": category, "min_views": minimum, "metric": metric}

            async def save() -> None:
                def work(actor):
                    return thresholds.set_threshold(
                        actor,
                        ThresholdInput(
                            programme_id=self.programme_id,
                            metric=metric.value,
                            limit_value=thresholds.limit_from_text(metric.value, limit.value),
                            window_days=int(window.value or 0),
                            category=category.value,
                            min_views=int(minimum.value or 0),
                        ),
                    )

                saved = await perform(work, done=lambda view: f"Set: {view.words}.", fields=fields)
                if saved is not None:
                    await self.show()

            ui.button("Save threshold", icon="save", on_click=save).props("unelevated no-caps").mark("save-threshold")
            ui.label(
                f"Rates and shares flag below the limit; {METRIC_LABELS[DAYS_WITHOUT_REDEMPTION].lower()}, above it."
            ).classes("mb-muted text-caption")


async def thresholds_page() -> None:
    actor = signed_in().actor
    await ThresholdsPage(actor, await programme_names(actor)).build()
