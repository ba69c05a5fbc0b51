"""The programme's sending rules: quiet hours for SMS and WhatsApp (the recipient's local time,
else the programme's time zone) and channel fallback (the recipient's next channel, in an order,
when a channel's providers are exhausted or refuse for good)."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.deliveries.services import programme_settings
from backend.deliveries.services.programme_settings import DeliverySettingsInput
from ui.components.action import perform
from ui.components.display import when
from ui.components.editing import ChangeGuard
from ui.pages.delivery_settings.words import CHANNEL_LABELS

COMMON_TIME_ZONES = ("UTC", "Asia/Kolkata", "Asia/Dubai", "Asia/Singapore", "Europe/London", "Europe/Paris", "America/New_York")


def _order_words(order: tuple[str, ...] | list[str]) -> str:
    return " → ".join(CHANNEL_LABELS.get(channel, channel) for channel in order)


class RulesPanel:
    def __init__(self, actor: Actor, programme_id: uuid.UUID) -> None:
        self.actor = actor
        self.programme_id = programme_id
        self.can_edit = actor.can(Permission.DELIVERIES_WRITE)
        self.container = ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 gap-4").mark("sending-rules")

    guard: ChangeGuard | None = None

    async def reload(self) -> None:
        current = await programme_settings.get_delivery_settings(self.actor, self.programme_id)
        readonly = not self.can_edit
        self.container.clear()
        with self.container:
            with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("quiet-hours"):
                ui.label("Quiet hours").classes("text-h6")
                ui.label(
                    "SMS and WhatsApp wait for the recipient's daytime (their time zone, else the programme's). "
                    "Email is never held back."
                ).classes("mb-muted text-body2")
                quiet = ui.switch("Hold SMS and WhatsApp during quiet hours", value=current.quiet_hours).mark("quiet-on")
                with ui.row().classes("w-full gap-3 no-wrap"):
                    start = ui.input("From (HH:MM)", value=current.quiet_start).props("outlined dense").classes("w-32")
                    end = ui.input("Until (HH:MM)", value=current.quiet_end).props("outlined dense").classes("w-32")
                start.mark("quiet-start")
                end.mark("quiet-end")
                zone = (
                    ui.select(
                        list(dict.fromkeys((current.time_zone, *COMMON_TIME_ZONES))),
                        label="Programme time zone",
                        value=current.time_zone,
                        new_value_mode="add-unique",
                        with_input=True,
                    )
                    .props('outlined dense hint="For recipients without their own; an IANA name, e.g. Asia/Kolkata"')
                    .classes("w-full")
                    .mark("time-zone")
                )
            with ui.card().classes("mb-card q-pa-md gap-2 w-full").mark("fallback"):
                ui.label("Channel fallback").classes("text-h6")
                ui.label(
                    "When a channel's primary and failover providers are exhausted, or the message is refused for good, "
                    "try the recipient's next channel that has a usable contact."
                ).classes("mb-muted text-body2")
                fallback = ui.switch("Fall back to the next channel", value=current.fallback).mark("fallback-on")
                order = (
                    ui.select(
                        CHANNEL_LABELS,
                        label="Order",
                        value=list(current.fallback_order),
                        multiple=True,
                    )
                    .props('outlined dense use-chips hint="Chosen in order: the first tried first"')
                    .classes("w-full")
                    .mark("fallback-order")
                )
                ui.label(f"Now: {_order_words(current.fallback_order)}").classes("text-body2").mark("fallback-words")
            inputs = {"quiet_start": start, "quiet_end": end, "time_zone": zone, "fallback_order": order}
            if self.guard is not None:
                self.guard.saved()  # the form it watched is gone
            self.guard = ChangeGuard([quiet, start, end, zone, fallback, order]) if self.can_edit else None
            for element in (quiet, start, end, zone, fallback, order):
                if readonly:
                    element.props("readonly" if isinstance(element, (ui.input, ui.select)) else "disable")
            with ui.row().classes("items-center gap-3 lg:col-span-2"):
                if self.can_edit:

                    async def save() -> None:
                        data = DeliverySettingsInput(
                            programme_id=self.programme_id,
                            quiet_hours=bool(quiet.value),
                            quiet_start=(start.value or "").strip(),
                            quiet_end=(end.value or "").strip(),
                            time_zone=(zone.value or "").strip(),
                            fallback=bool(fallback.value),
                            fallback_order=list(order.value or []),
                        )
                        saved = await perform(
                            lambda actor: programme_settings.set_delivery_settings(actor, data),
                            fields=inputs,
                            done="Saved the sending rules: they apply to the next messages sent.",
                        )
                        if saved is not None:
                            await self.reload()

                    ui.button("Save sending rules", icon="save", on_click=save).props("unelevated no-caps").mark("save-rules")
                if current.updated_at is not None:
                    ui.label(f"Changed {when(current.updated_at)} by {current.updated_by_label}").classes("text-caption mb-muted")
                else:
                    ui.label("Never changed: these are the defaults.").classes("text-caption mb-muted")
