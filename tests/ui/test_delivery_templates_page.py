"""Templates in the console: a live preview rendered by the worker's sandboxed environment with
sample values (problems in words, never a traceback), the SMS length in segments as you type,
saving, reset to the shipped default; and the sending rules (quiet hours, channel fallback)."""

from __future__ import annotations

import pytest
from delivery_console_steps import choose, element, labels_within, make_programme, text_of
from nicegui.testing import User

from backend.core import audit
from backend.core.audit import AuditFilter
from backend.deliveries.services import programme_settings
from backend.deliveries.services import templates as template_service
from backend.deliveries.templates import DEFAULTS


@pytest.fixture
async def programme(db):
    return await make_programme()


async def open_templates(user: User, programme, patience: int, channel: str = "email") -> None:
    await user.open(f"/delivery-settings?programme={programme.id}&tab=templates&channel={channel}")
    await user.should_see(marker="template-editor", retries=patience)


async def test_the_sms_preview_and_its_segments_follow_the_typing(console: User, admin, programme, patience) -> None:
    await open_templates(console, programme, patience, "sms")
    assert text_of(console, "template-text") == DEFAULTS["sms"].text
    assert text_of(console, "template-source") == "The shipped default (this programme has not changed it)."
    assert text_of(console, "sms-length") == "140 characters · GSM-7 · 1 segment (160 per segment, 20 left in the last)"

    choose(console, "template-text", "Hi {{ recipient_name }}! " + "x" * 150)
    assert text_of(console, "sms-length") == "163 characters · GSM-7 · 2 segments (153 per segment, 143 left in the last)"
    assert labels_within(console, "preview-bubble")[-1].startswith("Hi Asha Rao! xxx")

    choose(console, "template-text", "Hi {{ recipient_name }}, here’s your reward")  # a curly apostrophe
    assert text_of(console, "sms-length") == "31 characters · UCS-2 · 1 segment (70 per segment, 39 left in the last)"
    assert text_of(console, "sms-ucs2") == "Sent as UCS-2 (70 a segment) because of: “’” (U+2019)"

    choose(console, "template-text", "Hi {{ recipient_name }")
    await console.should_see(marker="template-problems")
    problems = " ".join(labels_within(console, "template-problems"))
    assert problems.startswith("The text template does not compile (line 1):") and "Traceback" not in problems
    assert text_of(console, "sms-length") == "Fix the template to see its length"
    console.find(marker="save-template").click()
    await console.should_see("The text template does not compile (line 1)", retries=patience)
    assert await template_service.stored_template(admin, programme.id, "sms", "en") is None  # nothing stored

    choose(console, "template-text", "{{ recipient_name.__class__.__mro__ }}")  # the sandbox refuses Python's insides
    assert "unsafe" in " ".join(labels_within(console, "template-problems"))


async def test_an_email_template_is_saved_previewed_safely_and_reset(console: User, admin, programme, patience) -> None:
    await open_templates(console, programme, patience)
    choose(console, "template-subject", "{{ recipient_name }}: {{ value }}")
    choose(console, "template-html", "<p>Hi {{ recipient_name }}</p><script>alert(1)</script>{{ '<b>' }}")
    assert text_of(console, "preview-subject") == "Subject: Asha Rao: 500.00 INR"
    frame = element(console, "preview-html")
    assert frame.tag == "iframe" and frame.props["sandbox"] == ""  # scripts off, an origin of its own
    assert frame.props["srcdoc"] == "<p>Hi Asha Rao</p><script>alert(1)</script>&lt;b&gt;"  # values autoescaped

    console.find(marker="save-template").click()
    await console.should_see("Saved the Email template in en: the next rewards use it.", retries=patience)
    stored = await template_service.stored_template(admin, programme.id, "email", "en")
    assert stored.subject == "{{ recipient_name }}: {{ value }}"
    await console.should_see("The programme's own en template.", retries=patience)

    # The destructive reset stands apart from Save: a spacer between them in their row.
    reset = element(console, "reset-template")
    row = [type(child).__name__ for child in reset.parent_slot.parent]
    assert row == ["Button", "Space", "Button"]
    console.find(marker="reset-template").click()
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("The Email template in en is back to the default.", retries=patience)
    assert await template_service.stored_template(admin, programme.id, "email", "en") is None
    assert text_of(console, "template-subject") == DEFAULTS["email"].subject
    [reset] = (await audit.search(admin, AuditFilter(action="delivery_template.reset"))).rows
    assert reset["before"]["subject"] == "{{ recipient_name }}: {{ value }}"


async def test_another_language_starts_from_english_and_lists_the_variables(console: User, admin, programme, patience) -> None:
    from backend.deliveries.templates import TemplateSet

    await template_service.set_template(admin, programme.id, "whatsapp", "en", TemplateSet(text="EN {{ value }}"))
    await open_templates(console, programme, patience, "whatsapp")
    choose(console, "template-language", "hi")
    await console.should_see("No hi template: recipients in hi get the programme's English one.", retries=patience)
    assert labels_within(console, "preview-bubble")[-1] == "EN 500.00 INR"
    assert "{{ claim_url }}" in labels_within(console, "template-variables")
    choose(console, "template-text", "नमस्ते {{ recipient_name }}")
    console.find(marker="save-template").click()
    await console.should_see("Saved the WhatsApp template in hi: the next rewards use it.", retries=patience)
    assert (await template_service.stored_template(admin, programme.id, "whatsapp", "hi")).text == "नमस्ते {{ recipient_name }}"
    assert (await template_service.stored_template(admin, programme.id, "whatsapp", "en")).text == "EN {{ value }}"


async def test_sending_rules_are_saved_and_a_bad_time_is_refused_by_its_field(console: User, admin, programme, patience) -> None:
    await console.open(f"/delivery-settings?programme={programme.id}&tab=rules")
    await console.should_see(marker="quiet-hours", retries=patience)
    choose(console, "quiet-on", True)
    choose(console, "quiet-start", "25:00")
    console.find(marker="save-rules").click()
    await console.should_see("Quiet_start is a local time as HH:MM, from 00:00 to 23:59.", retries=patience)
    assert element(console, "quiet-start").error == "Quiet_start is a local time as HH:MM, from 00:00 to 23:59."
    assert (await programme_settings.get_delivery_settings(admin, programme.id)).updated_at is None

    choose(console, "quiet-start", "21:30")
    choose(console, "time-zone", "Asia/Kolkata")
    choose(console, "fallback-on", True)
    choose(console, "fallback-order", ["whatsapp", "sms"])
    console.find(marker="save-rules").click()
    await console.should_see("Saved the sending rules: they apply to the next messages sent.", retries=patience)
    saved = await programme_settings.get_delivery_settings(admin, programme.id)
    assert (saved.quiet_hours, saved.quiet_start, saved.time_zone, saved.fallback, saved.fallback_order) == (
        True,
        "21:30",
        "Asia/Kolkata",
        True,
        ("whatsapp", "sms"),
    )
    await console.should_see("Now: WhatsApp → SMS", retries=patience)
