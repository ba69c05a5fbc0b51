"""What the console reads and resets: the sandbox inbox paged and filtered on the server, a
programme's own templates per language, reset to the default (audited), and the preview."""

from __future__ import annotations

import uuid

import pytest
from delivery_steps import Programme

from backend.core import audit
from backend.core.errors import DomainError
from backend.deliveries.providers import Message
from backend.deliveries.providers.sandbox import SandboxProvider
from backend.deliveries.services import reading
from backend.deliveries.services import templates as template_service
from backend.deliveries.services.reading import InboxFilter
from backend.deliveries.template_preview import preview
from backend.deliveries.templates import TemplateSet


async def test_the_inbox_pages_and_filters_on_the_server(admin):
    for n in range(7):
        channel = "email" if n % 2 else "sms"
        await SandboxProvider().send(Message(uuid.uuid4(), None, channel, f"Person{n}@Example.com", "", "", f"text {n}"))
    page = await reading.sandbox_messages(admin, offset=2, limit=3)
    assert page.total == 7 and [m.text for m in page.rows] == ["text 4", "text 3", "text 2"]
    emails = await reading.sandbox_messages(admin, InboxFilter(channel="email", recipient="person3@EXAMPLE"))
    assert (emails.total, [m.text for m in emails.rows]) == (1, ["text 3"])
    percent = await reading.sandbox_messages(admin, InboxFilter(recipient="%"))  # a literal, not a wildcard
    assert percent.total == 0
    with pytest.raises(DomainError) as refused:
        await reading.sandbox_messages(admin, InboxFilter(channel="fax"))
    assert refused.value.code == "INVALID_CHANNEL"


async def test_own_templates_per_language_and_reset_to_the_default(admin):
    shop = await Programme(admin).start()
    programme_id = shop.programme.id
    await template_service.set_template(admin, programme_id, "sms", "hi", TemplateSet(text="HI {{ value }}"))
    assert (await template_service.template_languages(admin, programme_id))["sms"] == ["hi"]
    assert (await template_service.stored_template(admin, programme_id, "sms", "hi")).text == "HI {{ value }}"
    assert await template_service.reset_template(admin, programme_id, "sms", "hi") is True
    assert await template_service.reset_template(admin, programme_id, "sms", "hi") is False  # nothing left to reset
    assert await template_service.stored_template(admin, programme_id, "sms", "hi") is None
    [entry] = (await audit.search(admin, audit.AuditFilter(action="delivery_template.reset"))).rows
    assert entry["before"]["text"] == "HI {{ value }}"


def test_the_preview_renders_with_sample_values_or_says_what_is_wrong():
    shown = preview("sms", TemplateSet(text="{{ recipient_name }}: {{ value }} €"))
    assert shown.rendered.text == "Asha Rao: 500.00 INR €" and shown.sms.units == 23 and not shown.problems
    broken = preview("email", TemplateSet(subject="Hi {{ salary }}", text="x"))
    assert broken.rendered is None and [p.code for p in broken.problems] == ["UNKNOWN_VARIABLE"]
