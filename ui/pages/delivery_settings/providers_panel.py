"""Each channel's providers for one programme: the primary and the failover, their settings (the
secret only ever masked), a form to set them, and a test message sent by the worker."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.deliveries.providers.sandbox import NAME as SANDBOX
from backend.deliveries.services import providers
from backend.deliveries.services.providers import KINDS, ProviderInput
from backend.deliveries.views import FAILOVER, PRIMARY, ProviderView
from ui.components.action import perform
from ui.components.dialogs import ask
from ui.components.display import when
from ui.pages.delivery_settings.provider_forms import build_fields, form_of, settings_from, summary
from ui.pages.delivery_settings.test_message import send_test_message
from ui.pages.delivery_settings.words import CHANNEL_ICONS, CHANNEL_LABELS, ROLE_LABELS


class ProvidersPanel:
    def __init__(self, actor: Actor, programme_id: uuid.UUID) -> None:
        self.actor = actor
        self.programme_id = programme_id
        self.can_edit = actor.can(Permission.DELIVERIES_WRITE)
        self.container = ui.element("div").classes("w-full grid gap-4 grid-cols-1 lg:grid-cols-3").mark("providers")

    async def reload(self) -> None:
        configured = {(view.channel, view.role): view for view in await providers.list_providers(self.actor, self.programme_id)}
        self.container.clear()
        with self.container:
            for channel in CHANNEL_LABELS:
                self._channel_card(channel, configured.get((channel, PRIMARY)), configured.get((channel, FAILOVER)))

    def _channel_card(self, channel: str, primary: ProviderView | None, failover: ProviderView | None) -> None:
        with ui.card().classes("mb-card q-pa-md gap-3 w-full").mark(f"channel-{channel}"):
            with ui.row().classes("items-center gap-2 no-wrap"):
                ui.icon(CHANNEL_ICONS[channel], size="24px", color="primary")
                ui.label(CHANNEL_LABELS[channel]).classes("text-h6")
            self._role(channel, PRIMARY, primary)
            ui.separator()
            self._role(channel, FAILOVER, failover)

    def _role(self, channel: str, role: str, view: ProviderView | None) -> None:
        marker = f"{channel}-{role}"
        with ui.column().classes("gap-1 w-full").mark(f"provider-{marker}"):
            ui.label(ROLE_LABELS[role]).classes("text-caption text-uppercase mb-muted text-weight-medium")
            if view is None and role == PRIMARY:
                ui.label("Sandbox (the default)").classes("text-body1 text-weight-medium").mark(f"kind-{marker}")
                ui.label("Nothing is sent: messages are kept in the sandbox inbox.").classes("mb-muted text-body2")
            elif view is None:
                ui.label("Not set").classes("text-body1 mb-muted").mark(f"kind-{marker}")
                ui.label("When the primary keeps failing, the delivery is flagged.").classes("mb-muted text-body2")
            else:
                ui.label(form_of(view.kind).label).classes("text-body1 text-weight-medium").mark(f"kind-{marker}")
                line = summary(view.kind, view.settings)
                if line:
                    ui.label(line).classes("text-body2 break-words").mark(f"summary-{marker}")
                if view.secret_masked:
                    secret_label = form_of(view.kind).secret_label or "Secret"
                    ui.label(f"{secret_label}: {view.secret_masked}").classes("text-body2 font-mono").mark(f"secret-{marker}")
                if view.callback_secret_masked:
                    ui.label(f"{form_of(view.kind).callback_secret_label}: {view.callback_secret_masked}").classes(
                        "text-body2 font-mono"
                    ).mark(f"callback-secret-{marker}")
                ui.label(f"Changed {when(view.updated_at)}").classes("text-caption mb-muted")
            if self.can_edit:
                with ui.row().classes("gap-1 q-mt-xs"):
                    label = "Change" if view is not None else ("Set up" if role == PRIMARY else "Add failover")
                    ui.button(label, icon="edit", on_click=lambda: self.edit(channel, role, view)).props(
                        "flat dense no-caps color=primary"
                    ).mark(f"edit-{marker}")
                    if view is not None or role == PRIMARY:
                        ui.button(
                            "Send a test", icon="send", on_click=lambda: send_test_message(self.programme_id, channel, role)
                        ).props("flat dense no-caps color=primary").mark(f"test-{marker}")

    async def edit(self, channel: str, role: str, view: ProviderView | None) -> None:
        kinds = {kind: form_of(kind).label for kind, channels in KINDS.items() if channel in channels}
        current_kind = view.kind if view else SANDBOX
        state: dict = {"fields": {}, "secret": None, "callback_secret": None}
        with ui.dialog() as dialog, ui.card().classes("q-pa-md w-[560px] max-w-[95vw] gap-3").mark("provider-dialog"):
            ui.label(f"{CHANNEL_LABELS[channel]}: {ROLE_LABELS[role].lower()} provider").classes("text-h6")
            kind = ui.select(kinds, label="Kind of provider", value=current_kind).props("outlined dense").classes("w-full")
            kind.mark("provider-kind")
            about = ui.label().classes("mb-muted text-body2")
            form = ui.column().classes("w-full gap-2")

            def show_form() -> None:
                form.clear()
                chosen = form_of(kind.value)
                about.text = chosen.about
                same = view is not None and view.kind == kind.value
                with form:
                    state["fields"] = build_fields(kind.value, view.settings if same else {})
                    state["secret"] = _secret_input(chosen.secret_label, view.secret_masked if same else "", "secret")
                    state["callback_secret"] = _secret_input(
                        chosen.callback_secret_label, view.callback_secret_masked if same else "", "callback_secret"
                    )

            kind.on_value_change(show_form)
            show_form()

            async def save() -> None:
                # Empty keeps a stored secret only for the same kind: another kind's token is no password.
                same = view is not None and view.kind == kind.value
                data = ProviderInput(
                    programme_id=self.programme_id,
                    channel=channel,
                    role=role,
                    kind=kind.value,
                    settings=settings_from(kind.value, state["fields"]),
                    secret=_typed_secret(state["secret"], same),
                    callback_secret=_typed_secret(state["callback_secret"], same),
                )
                secrets = {name: state[name] for name in ("secret", "callback_secret") if state[name] is not None}
                fields = dict(state["fields"]) | {"kind": kind} | secrets
                saved = await perform(
                    lambda actor: providers.set_provider(actor, data),
                    fields=fields,
                    done=lambda saved: (
                        f"Saved the {ROLE_LABELS[role].lower()} {CHANNEL_LABELS[channel]} provider: {form_of(saved.kind).label}."
                    ),
                )
                if saved is not None:
                    dialog.submit(True)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark("save-provider")
        if await ask(dialog):
            await self.reload()


def _secret_input(label: str | None, stored: str, name: str) -> ui.input | None:
    """A secret typed once: the stored one is never sent back to the browser, only its mask in the hint."""
    if not label:
        return None
    hint = f"Stored: {stored}. Leave empty to keep it." if stored else "Entered once; shown masked after saving."
    return (
        ui.input(label, password=True, password_toggle_button=True)
        .props(f'outlined dense hint="{hint}" autocomplete=new-password')
        .classes("w-full")
        .mark(f"setting-{name}")
    )


def _typed_secret(secret_input: ui.input | None, same_kind: bool) -> str | None:
    """What the service expects: the typed secret, None to keep the stored one, "" to clear it."""
    typed = (secret_input.value or "") if secret_input is not None else ""
    return typed or (None if secret_input is not None and same_kind else "")
