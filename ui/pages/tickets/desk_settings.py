"""Desk settings: per programme, the business calendar the SLA clocks count in, the reopen window,
retention, the thresholds (money in the programme's currency) and the breach queue, and the SLA
targets of every priority in an inline table. Saved all at once through the desk service (every
refusal under its field, nothing changed), read-only for those who may read tickets only."""

from __future__ import annotations

import uuid
from dataclasses import replace

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError
from backend.recipients import services as recipients
from backend.tickets.policy import SlaTargets
from backend.tickets.services import desk_admin
from backend.tickets.services.desk_admin import TARGET_NAMES, Desk, target_field
from backend.tickets.views import PRIORITIES as PRIORITY_ORDER
from ui import navigation
from ui.components.action import perform
from ui.components.editing import ChangeGuard, set_read_only
from ui.pages.tickets import desk_words as words
from ui.pages.tickets.words import PRIORITIES
from ui.session import current_actor
from ui.theme import frame


class LabelError:
    """A refusal shown under a group of inputs (the working days) the way an input shows its own."""

    def __init__(self, label: ui.label) -> None:
        self.label = label

    @property
    def error(self) -> str | None:
        return self.label.text or None

    @error.setter
    def error(self, text: str | None) -> None:
        self.label.text = text or ""
        self.label.set_visibility(bool(text))


class DeskSettingsPage:
    def __init__(self, actor: Actor, programmes: dict[str, str], programme: str | None) -> None:
        self.actor, self.programmes = actor, programmes
        self.programme = programme if programme in programmes else next(iter(programmes), None)
        self.editable = actor.can(Permission.TICKETS_MANAGE)
        self.fields: dict = {}
        self.days: dict[int, ui.checkbox] = {}
        self.unsaved: ui.badge | None = None
        self.desk: Desk | None = None
        self.guard: ChangeGuard | None = None

    async def build(self) -> None:
        with frame(
            navigation.DESK_SETTINGS.label,
            "The calendar the SLA clocks count in, the targets per priority, and the desk's other rules, per programme.",
        ) as page:
            with page.actions:
                ui.select(self.programmes, value=self.programme, label="Programme", on_change=self.pick).props(
                    "outlined dense options-dense"
                ).classes("w-56").mark("desk-programme")
            if self.programme is None:
                ui.label("There is no programme yet.").classes("text-body1").mark("no-programme")
                return
            self.desk = await perform(lambda actor: desk_admin.read_desk(actor, uuid.UUID(self.programme)))
            if self.desk is not None:
                self.form()

    async def pick(self, event) -> None:
        if event.value == self.programme:
            return
        if self.guard is None or await self.guard.may_discard():
            ui.navigate.to(f"{navigation.DESK_SETTINGS.path}?programme={event.value}")
        else:
            event.sender.value = self.programme  # stays on the programme whose changes are kept

    def _input(self, name: str, label: str, value: str, hint: str = "", width: str = "w-56") -> ui.input:
        field = ui.input(label or None, value=value).props(f'outlined dense hint="{hint}"').classes(width).mark(f"desk-{name}")
        self.fields[name] = field
        return field

    def _number(self, name: str, label: str, value: int | None, hint: str = "") -> ui.number:
        field = ui.number(label, value=value, min=0, format="%d").props(f'outlined dense hint="{hint}"').classes("w-56")
        self.fields[name] = field.mark(f"desk-{name}")
        return field

    def form(self) -> None:
        settings, currency = self.desk.settings, self.desk.currency
        if not self.editable:
            ui.label("You may read these settings; changing them takes the tickets:manage permission.").classes(
                "mb-muted text-body2"
            ).mark("desk-read-only")
        with ui.card().classes("mb-card q-pa-md w-full"):
            ui.label("Business calendar").classes("text-subtitle1 text-weight-medium")
            with ui.row().classes("gap-4 items-start"):
                self.fields["timezone"] = (
                    ui.select(words.timezones(), value=settings.timezone, label="Time zone", with_input=True)
                    .props("outlined dense options-dense")
                    .classes("w-64")
                    .mark("desk-timezone")
                )
                self._input("opens_minute", "Opens at", words.time_of_day(settings.opens_minute), "local time, 09:00", "w-40")
                self._input("closes_minute", "Closes at", words.time_of_day(settings.closes_minute), "24:00: midnight", "w-40")
            with ui.column().classes("gap-0"):
                ui.label("Working days").classes("text-body2 mb-muted")
                with ui.row().classes("gap-2"):
                    for index, day in enumerate(words.WEEKDAYS):
                        self.days[index] = ui.checkbox(day[:3], value=index in settings.working_days).mark(f"desk-day-{index}")
                self.fields["working_days"] = LabelError(ui.label().classes("text-negative text-caption").mark("desk-days-error"))
                self.fields["working_days"].error = None
            with ui.row().classes("gap-4 items-start"):
                self.fields["holiday_country"] = (
                    ui.select(
                        {"": "No public holidays"} | words.countries(),
                        value=settings.holiday_country or "",
                        label="Public holidays of",
                        with_input=True,
                    )
                    .props("outlined dense options-dense")
                    .classes("w-64")
                    .mark("desk-holiday_country")
                )
                self._input(
                    "custom_holidays",
                    "Custom holidays",
                    ", ".join(day.isoformat() for day in settings.custom_holidays),
                    "dates, comma separated: 2026-12-24, 2026-12-31",
                    "w-96",
                )
        with ui.card().classes("mb-card q-pa-md w-full"):
            ui.label("Rules").classes("text-subtitle1 text-weight-medium")
            with ui.row().classes("gap-4 items-start"):
                self._number(
                    "reopen_window_hours",
                    "Reopen window (hours)",
                    settings.reopen_window_hours,
                    "a reply reopens a resolved ticket",
                )
                self._number("retention_days", "Retention (days)", settings.retention_days, "empty: keep for ever")
                self._input(
                    "approval_above_minor",
                    f"Approval above ({currency})",
                    words.money_text(settings.approval_above_minor, currency),
                    "reissue or refund; empty: never",
                )
                self._input(
                    "high_value_minor",
                    f"High value from ({currency})",
                    words.money_text(settings.high_value_minor, currency),
                    "raises the priority",
                )
                self._number("approval_above_points", "Approval above (points)", settings.approval_above_points, "empty: never")
            with ui.row().classes("gap-4 items-start"):
                self._input(
                    "breach_queue", "Breach queue", settings.breach_queue or "", "a breached ticket moves here; empty: stays"
                )
                ui.label("Breach assignee: " + ("set" if settings.breach_assignee_id else "none") + " (kept as it is)").classes(
                    "mb-muted text-body2 q-mt-sm"
                )
        with ui.card().classes("mb-card q-pa-md w-full"):
            ui.label("SLA targets, in business time").classes("text-subtitle1 text-weight-medium")
            with ui.grid(columns=4).classes("gap-2 items-start").mark("sla-targets"):
                for heading in ("Priority", *words.TARGET_WORDS.values()):
                    ui.label(heading).classes("text-body2 text-weight-medium")
                for priority in PRIORITY_ORDER:
                    ui.label(PRIORITIES.get(priority, priority)).classes("q-mt-sm")
                    for name in TARGET_NAMES:
                        key = target_field(priority, name)
                        said = f"{PRIORITIES.get(priority, priority)}: {words.TARGET_WORDS[name].lower()}"
                        self._input(key, "", words.duration(getattr(self.desk.targets[priority], name)), "", "w-40").props(
                            f'aria-label="{said}"'
                        )
        inputs = [element for element in [*self.fields.values(), *self.days.values()] if isinstance(element, ui.element)]
        if not self.editable:
            set_read_only(inputs, True)
            return
        self.guard = ChangeGuard(inputs)  # the console's shared guard: leaving with changes asks first
        with ui.row().classes("items-center gap-4"):
            ui.button("Save", icon="save", on_click=self.save).props("unelevated no-caps").mark("desk-save")
            self.unsaved = ui.badge("Unsaved changes", color="orange").mark("desk-unsaved")
            self.unsaved.set_visibility(False)
        for element in inputs:
            element.on_value_change(lambda: self.unsaved.set_visibility(self.guard.unsaved))

    def entered(self) -> tuple[object, dict[str, SlaTargets]]:
        """The form's values as the service takes them; every typing mistake at once."""
        values, errors, currency = self.fields, [], self.desk.currency

        def read(parse, *args):
            try:
                return parse(*args)
            except DomainError as refusal:
                errors.extend(refusal.errors)
                return None

        settings = replace(
            self.desk.settings,
            timezone=values["timezone"].value or "",
            working_days=tuple(index for index, box in self.days.items() if box.value),
            opens_minute=read(words.parse_time, values["opens_minute"].value, "opens_minute"),
            closes_minute=read(words.parse_time, values["closes_minute"].value, "closes_minute"),
            holiday_country=values["holiday_country"].value or None,
            custom_holidays=read(words.parse_dates, values["custom_holidays"].value, "custom_holidays"),
            reopen_window_hours=read(words.whole, values["reopen_window_hours"].value, "reopen_window_hours"),
            retention_days=read(words.whole, values["retention_days"].value, "retention_days", True),
            approval_above_minor=read(words.parse_money, values["approval_above_minor"].value, currency, "approval_above_minor"),
            high_value_minor=read(words.parse_money, values["high_value_minor"].value, currency, "high_value_minor"),
            approval_above_points=read(words.whole, values["approval_above_points"].value, "approval_above_points", True),
            breach_queue=(values["breach_queue"].value or "").strip() or None,
        )
        targets = {}
        for priority in PRIORITY_ORDER:
            seconds = [
                read(words.parse_duration, values[target_field(priority, n)].value, target_field(priority, n))
                for n in TARGET_NAMES
            ]
            targets[priority] = SlaTargets(*seconds)
        words.collected(errors)
        return settings, targets

    async def save(self) -> None:
        async def work(actor: Actor):
            settings, targets = self.entered()
            return await desk_admin.save_desk(actor, uuid.UUID(self.programme), settings, targets)

        changes = await perform(work, fields=self.fields)
        if changes is None:
            return
        ui.notify(words.changes_words(changes), type="positive", multi_line=True)
        self.desk = await desk_admin.read_desk(self.actor, uuid.UUID(self.programme))
        self.guard.saved()
        self.unsaved.set_visibility(False)


async def desk_settings_page(programme: str | None = None) -> None:
    actor = await current_actor()
    if actor is None:
        return
    found = (await recipients.list_programmes(actor, limit=200)).rows
    await DeskSettingsPage(actor, {str(p.id): p.name for p in found}, programme).build()
