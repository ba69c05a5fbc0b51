"""Templates: a programme's own wording is used (in the recipient's language, else English, else
the default); one that does not compile, names an unknown variable or reaches for Python is
refused with a clear error and changes nothing. Providers: settings checked, the secret sealed and
never shown, every change audited."""

from __future__ import annotations

import pytest
from delivery_steps import QUICK, Programme, count, delivery_row, handle, person

from backend.core import audit, sql
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.deliveries.services import providers, reading, sending
from backend.deliveries.services import templates as template_service
from backend.deliveries.services.providers import ProviderInput
from backend.deliveries.templates import TemplateSet


def codes(error: DomainError) -> list[tuple]:
    return [(item.field, item.code) for item in error.errors]


async def test_a_programmes_template_in_the_recipients_language_is_used(admin):
    shop = await Programme(admin).start()
    await template_service.set_template(
        admin,
        shop.programme.id,
        "sms",
        "hi",
        TemplateSet(text="{{ recipient_name }} ji, {{ value }} aapke liye: {{ claim_url }}"),
    )
    await template_service.set_template(admin, shop.programme.id, "sms", "en", TemplateSet(text="EN {{ recipient_name }}"))
    hindi = await person("H-1", name="Asha", phone="+919812345678", preferred_channel="sms", hr_attributes={"language": "hi"})
    french = await person("F-1", name="Luc", phone="+919812345679", preferred_channel="sms", hr_attributes={"language": "fr"})
    for who in (hindi, french):
        issuance_id = await shop.issue(who.id)
        await handle(issuance_id)
        await sending.send_delivery((await delivery_row(issuance_id))["id"], QUICK)
    texts = {message.recipient: message.text for message in await reading.sandbox_inbox(admin)}
    assert texts["+919812345678"].startswith("Asha ji, 1,500 points aapke liye: http://127.0.0.1:8000/claim/")
    assert texts["+919812345679"] == "EN Luc"  # no French template: the programme's English one


@pytest.mark.parametrize(
    ("channel", "templates", "expected", "words"),
    [
        ("sms", TemplateSet(text="Hi {{ recipient_name }"), [("text", "TEMPLATE_SYNTAX")], "does not compile (line 1)"),
        ("sms", TemplateSet(text="Hi {{ salary }}"), [("text", "UNKNOWN_VARIABLE")], "uses salary, which is not a variable"),
        (
            "email",
            TemplateSet(subject="Hi", html="{{ recipient_name.__class__.__mro__ }}", text="x"),
            [("html", "TEMPLATE_ERROR")],
            "unsafe",
        ),
        ("email", TemplateSet(subject="", html="", text="x"), [("subject", "REQUIRED")], "needs a subject"),
        ("whatsapp", TemplateSet(subject="Hi", text="x"), [("html", "NOT_FOR_CHANNEL")], "text only"),
        ("sms", TemplateSet(text="x" * 1601), [("text", "TOO_LONG")], "1,600"),
    ],
)
async def test_a_bad_template_is_refused_clearly_and_changes_nothing(admin, channel, templates, expected, words):
    shop = await Programme(admin).start()
    with pytest.raises(DomainError) as refused:
        await template_service.set_template(admin, shop.programme.id, channel, "en", templates)
    assert codes(refused.value) == expected
    assert words in refused.value.errors[0].message
    assert await count("SELECT COUNT(*) FROM delivery_templates") == 0


async def test_a_template_change_is_audited_and_replaces_the_previous(admin):
    shop = await Programme(admin).start()
    await template_service.set_template(admin, shop.programme.id, "sms", "EN", TemplateSet(text="one {{ value }}"))
    await template_service.set_template(admin, shop.programme.id, "sms", "en", TemplateSet(text="two {{ value }}"))
    assert await count("SELECT COUNT(*) FROM delivery_templates") == 1
    assert (await template_service.template_for(shop.programme.id, "sms", "en")).text == "two {{ value }}"
    history = await audit.search(admin, audit.AuditFilter(action="delivery_template.set"))
    assert [row["after"]["text"] for row in history.rows] == ["two {{ value }}", "one {{ value }}"]
    assert history.rows[0]["before"]["text"] == "one {{ value }}"
    with pytest.raises(DomainError) as refused:
        await template_service.set_template(admin, shop.programme.id, "fax", "english", TemplateSet(text="x"))
    assert codes(refused.value) == [("channel", "INVALID_CHANNEL"), ("language", "INVALID_LANGUAGE")]


async def test_provider_secrets_are_sealed_masked_and_audited(admin):
    shop = await Programme(admin).start()
    settings = {"base_url": "https://api.example.com/2010-04-01", "account_sid": "AC1", "from_number": "+14155550100"}
    view = await providers.set_provider(
        admin, ProviderInput(shop.programme.id, "sms", "primary", "http_messaging", settings, secret="tok-123456789")
    )
    assert view.secret_masked == "••••••••6789" and view.settings["from_number"] == "+14155550100"
    stored = await sql.fetchrow("SELECT secret_sealed FROM delivery_providers WHERE id = $1", view.id)
    assert stored["secret_sealed"].startswith("v1:") and "tok-123456789" not in stored["secret_sealed"]
    # A change without a secret keeps the sealed one.
    changed = await providers.set_provider(
        admin, ProviderInput(shop.programme.id, "sms", "primary", "http_messaging", settings | {"timeout_seconds": 5})
    )
    assert (changed.id, changed.secret_masked, changed.settings["timeout_seconds"]) == (view.id, "••••••••6789", 5.0)
    history = await audit.entity_history(admin, "delivery_provider", view.id)
    assert [entry["after"]["secret_changed"] for entry in history] == [False, True]
    assert "tok-123456789" not in str(history)
    assert [p.role for p in await providers.list_providers(admin, shop.programme.id)] == ["primary"]


async def test_bad_provider_settings_are_refused_naming_each_problem(admin):
    shop = await Programme(admin).start()
    with pytest.raises(DomainError) as refused:
        await providers.set_provider(
            admin,
            ProviderInput(
                shop.programme.id,
                "email",
                "primary",
                "smtp",
                {"host": "", "port": 70000, "security": "ssl", "from_address": "x", "rate_per_second": 0},
            ),
        )
    assert codes(refused.value) == [
        ("port", "INVALID"),
        ("security", "INVALID"),
        ("from_address", "INVALID_EMAIL"),
        ("host", "REQUIRED"),
        ("rate_per_second", "INVALID"),
    ]
    with pytest.raises(DomainError) as refused:
        await providers.set_provider(admin, ProviderInput(shop.programme.id, "email", "backup", "http_messaging"))
    assert codes(refused.value) == [("role", "INVALID_ROLE"), ("kind", "NOT_FOR_CHANNEL")]
    with pytest.raises(DomainError) as refused:  # a messaging provider needs its token
        await providers.set_provider(
            admin,
            ProviderInput(
                shop.programme.id,
                "sms",
                "primary",
                "http_messaging",
                {"base_url": "https://x.test", "account_sid": "AC", "from_number": "+14155550100"},
            ),
        )
    assert codes(refused.value) == [("secret", "REQUIRED")]
    with pytest.raises(NotFound):
        await providers.set_provider(admin, ProviderInput(new_id(), "sms", "primary", "sandbox"))
    assert await count("SELECT COUNT(*) FROM delivery_providers") == 0
