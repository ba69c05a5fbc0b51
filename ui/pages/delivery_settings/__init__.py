"""Delivery settings, per programme: each channel's providers, the templates, and the sending
rules (quiet hours and channel fallback)."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.recipients import services as recipients
from ui import navigation
from ui.auth import console_page
from ui.pages.delivery_settings.providers_panel import ProvidersPanel
from ui.pages.delivery_settings.rules_panel import RulesPanel
from ui.pages.delivery_settings.templates_panel import TemplatesPanel
from ui.session import signed_in
from ui.theme import frame

TABS = {"providers": "Providers", "templates": "Templates", "rules": "Sending rules"}
PROGRAMME_CHOICES = 200


def _parsed(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def delivery_settings_page(programme: str | None = None, tab: str = "providers", channel: str = "email") -> None:
    actor = signed_in().actor
    choices = {str(p.id): p.name for p in (await recipients.list_programmes(actor, limit=PROGRAMME_CHOICES)).rows}
    chosen = _parsed(programme)
    if chosen is None or str(chosen) not in choices:
        chosen = _parsed(next(iter(choices), None))
    tab = tab if tab in TABS else "providers"
    with frame(navigation.DELIVERY_SETTINGS.label, "How each programme's rewards reach people: providers and wording") as page:
        if chosen is None:
            ui.label("No programme yet: create one under Programmes, then set how its rewards are sent.").classes(
                "mb-muted"
            ).mark("no-programme")
            return
        with page.actions:
            ui.select(
                choices,
                label="Programme",
                value=str(chosen),
                with_input=True,
                on_change=lambda e: ui.navigate.to(f"{navigation.DELIVERY_SETTINGS.path}?programme={e.value}&tab={tabs.value}"),
            ).props("outlined dense").classes("w-64").mark("programme-choice")
        with ui.tabs(value=tab).props("align=left no-caps").classes("text-primary") as tabs:
            for name, label in TABS.items():
                ui.tab(name, label).mark(f"tab-{name}")
        with ui.tab_panels(tabs, value=tab).classes("w-full bg-transparent"):
            with ui.tab_panel("providers").classes("q-px-none"):
                providers = ProvidersPanel(actor, chosen)
            with ui.tab_panel("templates").classes("q-px-none gap-3"):
                templates = TemplatesPanel(actor, chosen, channel)
            with ui.tab_panel("rules").classes("q-px-none"):
                rules = RulesPanel(actor, chosen)
        await providers.reload()
        await templates.reload()
        await rules.reload()


def register() -> None:
    console_page(navigation.DELIVERY_SETTINGS)(delivery_settings_page)
