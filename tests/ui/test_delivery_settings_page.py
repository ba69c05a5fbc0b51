"""Delivery settings in the console: a programme's providers per channel (the secret entered once,
shown masked, never sent to the browser), a bad setting refused next to its field, a test message
sent by the worker (never by the console) with its outcome shown, and who may only read."""

from __future__ import annotations

import pytest
from arq.connections import RedisSettings, create_pool
from delivery_console_steps import PASSWORD, choose, element, labels_within, make_programme, text_of
from messaging_provider import ACCOUNT_SID, AUTH_TOKEN, INVALID_NUMBER, MessagingProvider
from nicegui.testing import User
from smtp_server import SmtpServer
from worker_harness import running_worker

from backend.core import audit, outbox, sql
from backend.core.audit import AuditFilter
from backend.deliveries.services import providers
from backend.deliveries.services.providers import ProviderInput


@pytest.fixture
async def programme(db):
    return await make_programme()


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
async def doorbell(embedded_redis):
    """The console's Redis: a test message rings the worker's job on it."""
    pool = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(pool)
    yield pool
    outbox.set_doorbell(None)
    await pool.aclose()


def page_text(user: User) -> str:
    return " ".join(labels_within(user, "providers"))


async def set_up_smtp(user: User, patience: int, port, password: str = "") -> None:
    user.find(marker="edit-email-primary").click()
    await user.should_see(marker="provider-dialog", retries=patience)
    choose(user, "provider-kind", "smtp")
    await user.should_see(marker="setting-host", retries=patience)
    choose(user, "setting-host", "127.0.0.1")
    choose(user, "setting-port", str(port))
    choose(user, "setting-security", "none")
    choose(user, "setting-from_address", "rewards@example.com")
    if password:
        choose(user, "setting-secret", password)
    user.find(marker="save-provider").click()


async def test_an_admin_sets_an_smtp_provider_and_its_password_is_only_ever_masked(
    console: User, admin, programme, patience
) -> None:
    await console.open(f"/delivery-settings?programme={programme.id}")
    await console.should_see(marker="channel-email", retries=patience)
    assert text_of(console, "kind-email-primary") == "Sandbox (the default)"
    assert text_of(console, "kind-email-failover") == "Not set"

    await set_up_smtp(console, patience, "not a port", password="correct-horse-9876")
    await console.should_see("Port is a whole number from 1 to 65535, e.g. 587.", retries=patience)  # under its field
    assert element(console, "setting-port").error == "Port is a whole number from 1 to 65535, e.g. 587."
    assert await providers.list_providers(admin, programme.id) == []  # nothing stored

    choose(console, "setting-port", "2525")
    console.find(marker="save-provider").click()
    await console.should_see("Saved the primary Email provider: SMTP server.", retries=patience)
    await console.should_see(marker="secret-email-primary", retries=patience)  # the cards are rebuilt
    assert text_of(console, "kind-email-primary") == "SMTP server"
    assert text_of(console, "summary-email-primary") == "127.0.0.1 · 2525 · None (a relay on localhost) · rewards@example.com"
    assert text_of(console, "secret-email-primary") == "Password: ••••••••9876"
    [stored] = await providers.list_providers(admin, programme.id)
    assert (stored.kind, stored.settings["port"], stored.secret_masked) == ("smtp", 2525, "••••••••9876")
    sealed = await sql.fetchrow("SELECT secret_sealed FROM delivery_providers")
    assert "correct-horse" not in sealed["secret_sealed"]

    # Changing it again: the password field is empty (never sent back to the browser); empty keeps it.
    console.find(marker="edit-email-primary").click()
    await console.should_see(marker="provider-dialog", retries=patience)
    assert text_of(console, "setting-secret") in ("", "None")
    assert "Stored: ••••••••9876. Leave empty to keep it." in element(console, "setting-secret").props["hint"]
    assert "correct-horse" not in str([e.props for e in console.find(marker="provider-dialog").elements])
    choose(console, "setting-from_name", "Sales Stars")
    console.find(marker="save-provider").click()
    await console.should_not_see(marker="provider-dialog", retries=patience)
    [kept] = await providers.list_providers(admin, programme.id)
    assert kept.secret_masked == "••••••••9876" and kept.settings["from_name"] == "Sales Stars"
    history = await audit.search(admin, AuditFilter(action="delivery_provider.set"))
    assert [row["after"]["secret_changed"] for row in history.rows] == [False, True]
    assert "correct-horse" not in str(history.rows)


async def test_a_test_email_is_sent_by_the_worker_and_its_outcome_shown(
    console: User, admin, programme, patience, smtp_server, embedded_redis, doorbell
) -> None:
    await providers.set_provider(
        admin,
        ProviderInput(
            programme.id,
            "email",
            "primary",
            "smtp",
            {"host": "127.0.0.1", "port": smtp_server.port, "security": "none", "from_address": "rewards@example.com"},
        ),
    )
    await console.open(f"/delivery-settings?programme={programme.id}")
    console.find(marker="test-email-primary").click()
    await console.should_see(marker="test-dialog", retries=patience)
    choose(console, "test-contact", "not an address")
    console.find(marker="test-send").click()
    await console.should_see(marker="test-contact", retries=patience)
    await console.should_see("'not an address': An email address must have an @-sign.", retries=patience)
    assert await sql.fetch("SELECT id FROM delivery_test_sends") == []

    choose(console, "test-contact", "ops@example.com")
    console.find(marker="test-send").click()
    await console.should_see("Queued: waiting for a worker to send it…", retries=patience)
    assert smtp_server.received == []  # the console does not send
    async with running_worker(embedded_redis.url, None):
        await console.should_see("Sent to ops@example.com through smtp in", retries=patience * 4)
    [received] = smtp_server.received
    assert received.rcpt_tos == ["ops@example.com"]
    assert received.message["Subject"] == "[Test] Asha Rao, you have a reward: Chai Point gift card"
    [requested] = (await audit.search(admin, AuditFilter(action="delivery_test.requested"))).rows
    assert requested["after"]["contact"] == "ops@example.com"


async def test_a_failing_test_sms_says_why_in_words(console: User, admin, programme, patience, embedded_redis, doorbell) -> None:
    with MessagingProvider([INVALID_NUMBER]) as provider:
        await providers.set_provider(
            admin,
            ProviderInput(
                programme.id,
                "sms",
                "primary",
                "http_messaging",
                {"base_url": provider.base_url, "account_sid": ACCOUNT_SID, "from_number": "+14155550100"},
                secret=AUTH_TOKEN,
            ),
        )
        await console.open(f"/delivery-settings?programme={programme.id}")
        await console.should_see(marker="test-sms-primary", retries=patience)
        await console.should_not_see(marker="test-sms-failover")  # no failover to test
        console.find(marker="test-sms-primary").click()
        await console.should_see(marker="test-dialog", retries=patience)
        choose(console, "test-contact", "+919812345678")
        console.find(marker="test-send").click()
        async with running_worker(embedded_redis.url, None):
            await console.should_see("Not sent (", retries=patience * 4)
        outcome = text_of(console, "test-outcome-text")
        assert "not a valid phone number" in outcome and "Traceback" not in outcome
        assert [request.form["To"] for request in provider.requests] == ["+919812345678"]


async def test_a_support_agent_reads_the_settings_but_cannot_change_them(
    user: User, admin, programme, sign_in, create_person, patience
) -> None:
    await providers.set_provider(
        admin,
        ProviderInput(
            programme.id,
            "sms",
            "primary",
            "http_messaging",
            {"base_url": "https://api.example.com/2010-04-01", "account_sid": "AC1", "from_number": "+14155550100"},
            secret="token-abcd",
        ),
    )
    await create_person("agent@example.com", ["support_agent"])
    await sign_in("agent@example.com", PASSWORD, path=f"/delivery-settings?programme={programme.id}")
    await user.should_see(marker="channel-sms", retries=patience)
    assert text_of(user, "secret-sms-primary") == "Auth token: ••••••••abcd"
    for marker in ("edit-sms-primary", "test-sms-primary", "edit-email-failover"):
        await user.should_not_see(marker=marker)
    user.find(marker="tab-templates").click()
    await user.should_see(marker="read-only-note", retries=patience)
    await user.should_not_see(marker="save-template")
    assert "readonly" in element(user, "template-subject").props


async def test_a_viewer_reads_delivery_settings_without_any_action(
    user: User, admin, programme, sign_in, create_person, patience
) -> None:
    # Every role reads deliveries ("did my reward arrive?"); changing providers takes deliveries:write.
    await create_person("viewer@example.com", ["viewer"])
    await sign_in("viewer@example.com", PASSWORD, path=f"/delivery-settings?programme={programme.id}")
    await user.should_see(marker="channel-sms", retries=patience)
    for marker in ("edit-sms-primary", "test-sms-primary", "edit-email-failover"):
        await user.should_not_see(marker=marker)


async def test_a_whatsapp_cloud_provider_takes_its_template_and_both_secrets_masked(
    console: User, admin, programme, patience
) -> None:
    await console.open(f"/delivery-settings?programme={programme.id}")
    console.find(marker="edit-whatsapp-failover").click()
    await console.should_see(marker="provider-dialog", retries=patience)
    kinds = element(console, "provider-kind").options
    assert set(kinds) == {"sandbox", "http_messaging", "whatsapp_cloud", "signed_webhook"}  # no SMTP for WhatsApp
    choose(console, "provider-kind", "whatsapp_cloud")
    await console.should_see(marker="setting-callback_secret", retries=patience)
    assert element(console, "setting-body_parameters").value == ["recipient_name", "value", "claim_url"]
    choose(console, "setting-phone_number_id", "106540352242922")
    choose(console, "setting-template_name", "reward_issued")
    choose(console, "setting-verify_token", "verify-me")
    choose(console, "setting-body_parameters", ["recipient_name", "claim_url"])
    choose(console, "setting-secret", "EAAG-access-token-7777")
    console.find(marker="save-provider").click()
    await console.should_see(
        "The secret that signs the provider's status callbacks (the app secret) is required.", retries=patience
    )
    assert await providers.list_providers(admin, programme.id) == []

    choose(console, "setting-callback_secret", "meta-app-secret-4242")
    console.find(marker="save-provider").click()
    await console.should_see(marker="callback-secret-whatsapp-failover", retries=patience)
    assert text_of(console, "kind-whatsapp-failover") == "WhatsApp Cloud API (Meta)"
    assert text_of(console, "secret-whatsapp-failover") == "Access token: ••••••••7777"
    assert text_of(console, "callback-secret-whatsapp-failover") == "App secret (signs status callbacks): ••••••••4242"
    [stored] = await providers.list_providers(admin, programme.id)
    assert (stored.role, stored.settings["template_name"], stored.settings["body_parameters"]) == (
        "failover",
        "reward_issued",
        ["recipient_name", "claim_url"],
    )
    await console.should_see(marker="test-whatsapp-failover")  # a failover set can be tested


async def test_a_sandbox_test_links_to_the_inbox_where_it_landed(
    console: User, admin, programme, patience, embedded_redis, doorbell
) -> None:
    await console.open(f"/delivery-settings?programme={programme.id}")
    console.find(marker="test-whatsapp-primary").click()
    await console.should_see(marker="test-dialog", retries=patience)
    await console.should_not_see(marker="test-inbox")
    choose(console, "test-contact", "+91 98123 45678")
    console.find(marker="test-send").click()
    async with running_worker(embedded_redis.url, None):
        await console.should_see("Sent to +919812345678 through sandbox in", retries=patience * 4)
    await console.should_see(marker="test-inbox", retries=patience)
    console.find(marker="test-inbox").click()
    await console.should_see(marker="inbox-table", retries=patience)
