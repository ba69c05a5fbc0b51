"""The programme's templates, per channel and language: an editor beside a live preview rendered
by the worker's own sandboxed environment with sample values (problems in words, never a
traceback), the variables a template may use, saving, and going back to the shipped default. For
SMS, the length in segments as you type (``backend.deliveries.sms_length``)."""

from __future__ import annotations

import uuid

from nicegui import ui

from backend.core.authz import Actor, Permission
from backend.deliveries.services import templates as template_service
from backend.deliveries.sms_length import UCS2, SmsLength
from backend.deliveries.template_preview import Preview, preview
from backend.deliveries.templates import DEFAULTS, EMAIL, SMS, VARIABLES, TemplateSet
from ui.components.action import perform, sentence
from ui.components.dialogs import confirm
from ui.components.editing import ChangeGuard
from ui.components.message_view import email_frame, phone_bubble, plain_text
from ui.pages.delivery_settings.words import CHANNEL_LABELS

FALLBACK = template_service.FALLBACK_LANGUAGE
COMMON_LANGUAGES = ("en", "hi", "ta", "te", "bn", "mr", "fr", "es", "de", "ar")


def segment_words(length: SmsLength) -> str:
    if not length.segments:
        return "Empty message"
    segments = "1 segment" if length.segments == 1 else f"{length.segments} segments"
    return (
        f"{length.characters} characters · {length.encoding} · {segments} "
        f"({length.per_segment} per segment, {length.remaining} left in the last)"
    )


class TemplatesPanel:
    def __init__(self, actor: Actor, programme_id: uuid.UUID, channel: str = EMAIL, language: str = FALLBACK) -> None:
        self.actor = actor
        self.programme_id = programme_id
        self.can_edit = actor.can(Permission.DELIVERIES_WRITE)
        self.channel = channel if channel in CHANNEL_LABELS else EMAIL
        self.language = language
        self.inputs: dict[str, ui.input | ui.textarea] = {}
        self.guard: ChangeGuard | None = None
        with ui.row().classes("w-full items-end gap-3"):
            self.channel_choice = (
                ui.toggle(CHANNEL_LABELS, value=self.channel, on_change=self._choose).props("no-caps unelevated")
            ).mark("template-channel")
            self.language_choice = (
                ui.select(
                    list(COMMON_LANGUAGES),
                    label="Language",
                    value=self.language,
                    new_value_mode="add-unique",
                    with_input=True,
                    on_change=self._choose,
                )
                .props('outlined dense hint="Two-letter code; type another to add it"')
                .classes("w-40")
                .mark("template-language")
            )
            self.source = ui.label().classes("mb-muted text-body2").mark("template-source")
        self.body = ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 gap-4")

    async def _choose(self) -> None:
        chosen = (self.channel_choice.value or EMAIL, (self.language_choice.value or FALLBACK).strip().lower())
        if chosen == (self.channel, self.language):  # the choice went back (below): nothing to show anew
            return
        if self.guard is not None and not await self.guard.may_discard():
            self.channel_choice.value, self.language_choice.value = self.channel, self.language  # the typing stays
            return
        self.channel = self.channel_choice.value or EMAIL
        self.language = (self.language_choice.value or FALLBACK).strip().lower()
        await self.reload()

    async def _current(self) -> tuple[TemplateSet, str]:
        """What is used now for this channel and language, and where it comes from, in words."""
        own = await template_service.stored_template(self.actor, self.programme_id, self.channel, self.language)
        if own is not None:
            return own, f"The programme's own {self.language} template."
        if self.language != FALLBACK:
            english = await template_service.stored_template(self.actor, self.programme_id, self.channel, FALLBACK)
            if english is not None:
                return english, f"No {self.language} template: recipients in {self.language} get the programme's English one."
        return DEFAULTS[self.channel], "The shipped default (this programme has not changed it)."

    async def reload(self) -> None:
        templates, source = await self._current()
        self.own = source.startswith("The programme's own")
        self.source.text = source
        self.body.clear()
        with self.body:
            with ui.column().classes("w-full gap-2").mark("template-editor"):
                self._editor(templates)
            with ui.column().classes("w-full gap-2"):
                ui.label("Preview with sample values").classes("text-subtitle2")
                self.preview_box = ui.column().classes("w-full gap-2").mark("template-preview")
                self._variables()
        self.refresh_preview()

    def _editor(self, templates: TemplateSet) -> None:
        readonly = "" if self.can_edit else " readonly"
        self.inputs = {}
        if self.channel == EMAIL:
            self.inputs["subject"] = ui.input("Subject", value=templates.subject).props("outlined dense" + readonly)
            self.inputs["html"] = ui.textarea("HTML", value=templates.html).props("outlined autogrow" + readonly)
        self.inputs["text"] = ui.textarea("Plain text" if self.channel == EMAIL else "Message", value=templates.text).props(
            "outlined autogrow" + readonly
        )
        for name, element in self.inputs.items():
            element.classes("w-full font-mono").mark(f"template-{name}").on_value_change(self.refresh_preview)
        if self.guard is not None:
            self.guard.saved()  # the form it watched is gone
        self.guard = ChangeGuard(self.inputs.values()) if self.can_edit else None
        if self.channel == SMS:
            self.length = ui.label().classes("text-body2 text-weight-medium").mark("sms-length")
            self.ucs2_note = ui.label().classes("text-caption text-orange-10").mark("sms-ucs2")
        if self.can_edit:
            with ui.row().classes("w-full items-center gap-2"):
                ui.button("Save template", icon="save", on_click=self.save).props("unelevated no-caps").mark("save-template")
                ui.space()  # removing the programme's wording stands apart from Save, at the far end
                reset = ui.button("Reset to default", icon="restart_alt", on_click=self.reset).props("flat no-caps")
                reset.mark("reset-template").set_enabled(self.own)
        else:
            ui.label("You can read these templates; changing them needs the permission deliveries:write.").classes(
                "mb-muted text-caption"
            ).mark("read-only-note")

    def _typed(self) -> TemplateSet:
        value = {name: element.value or "" for name, element in self.inputs.items()}
        return TemplateSet(text=value.get("text", ""), subject=value.get("subject", ""), html=value.get("html", ""))

    def refresh_preview(self) -> None:
        shown: Preview = preview(self.channel, self._typed())
        self.preview_box.clear()
        with self.preview_box:
            if shown.problems:
                with ui.column().classes("w-full gap-1 q-pa-sm rounded-borders bg-red-1 text-negative").mark("template-problems"):
                    for problem in shown.problems:
                        ui.label(sentence(problem.message)).classes("text-body2")
            elif self.channel == EMAIL:
                ui.label(f"Subject: {shown.rendered.subject}").classes("text-body1 text-weight-medium").mark("preview-subject")
                email_frame(shown.rendered.html, marker="preview-html")
                plain_text(shown.rendered.text, marker="preview-text")
            else:
                phone_bubble(shown.rendered.text, self.channel, sender="Rewards", marker="preview-bubble")
        if self.channel == SMS:
            self.length.text = segment_words(shown.sms) if shown.sms else "Fix the template to see its length"
            ucs2 = shown.sms.ucs2_characters if shown.sms and shown.sms.encoding == UCS2 else ""
            named = ", ".join(f"“{c}” (U+{ord(c):04X})" for c in ucs2)
            self.ucs2_note.text = f"Sent as UCS-2 (70 a segment) because of: {named}" if ucs2 else ""

    def _variables(self) -> None:
        with ui.expansion("Variables you can use", icon="data_object").classes("w-full mb-card").mark("template-variables"):
            with ui.grid(columns="auto 1fr").classes("gap-x-4 gap-y-1 text-body2"):
                for name, meaning in VARIABLES.items():
                    ui.label("{{ " + name + " }}").classes("font-mono text-primary")
                    ui.label(meaning)

    async def save(self) -> None:
        typed = self._typed()
        saved = await perform(
            lambda actor: template_service.set_template(actor, self.programme_id, self.channel, self.language, typed),
            fields=self.inputs | {"language": self.language_choice},
            done=f"Saved the {CHANNEL_LABELS[self.channel]} template in {self.language}: the next rewards use it.",
        )
        if saved is not None:
            await self.reload()

    async def reset(self) -> None:
        if not await confirm(
            f"Reset the {CHANNEL_LABELS[self.channel]} template in {self.language}?",
            "The programme's own wording for this channel and language is removed; rewards use the English template "
            "or the shipped default instead. The audit log keeps what it said.",
            confirm_label="Reset to default",
            danger=True,
        ):
            return
        await perform(
            lambda actor: template_service.reset_template(actor, self.programme_id, self.channel, self.language),
            done=f"The {CHANNEL_LABELS[self.channel]} template in {self.language} is back to the default.",
        )
        await self.reload()
