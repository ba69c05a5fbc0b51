"""WhatsApp through a Meta-shaped Cloud API and messages through a company's own gateway (a signed
Standard Webhook), each against a real HTTP server on loopback: what is sent (template name,
language and body parameters; a body whose signature the gateway verifies), how each answer is
classified, and each kind's settings checked and its secrets sealed."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from delivery_steps import QUICK, Programme, delivery_row, handle, person
from json_provider import Answer, Request, meta_error
from standardwebhooks.webhooks import Webhook

from backend.core import sql
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.deliveries.providers import whatsapp_cloud as whatsapp_cloud_provider
from backend.deliveries.services import notices, providers, reading, sending
from backend.deliveries.services.providers import ProviderInput

ACCESS_TOKEN, APP_SECRET = "EAAG-access-token-123", "app-secret-456"
GATEWAY_SECRET = "whsec_" + base64.b64encode(b"a gateway secret of 32 bytes!!!!").decode()


def bearer(request: Request) -> Answer | None:
    if request.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
        return meta_error(401, 190, "Error validating access token")
    return None


def meta_accepts(request: Request) -> Answer:
    return Answer(200, {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{len(request.raw)}"}]})


async def whatsapp_cloud(admin, shop, server, **settings):
    return await providers.set_provider(
        admin,
        ProviderInput(
            shop.programme.id,
            "whatsapp",
            "primary",
            "whatsapp_cloud",
            {
                "base_url": server.base_url,
                "api_version": "v21.0",
                "phone_number_id": "106540352242922",
                "template_name": "reward_ready",
                "template_language": "en_US",
                "body_parameters": ["recipient_name", "value", "claim_url"],
                "verify_token": "verify-me",
                "timeout_seconds": 2.0,
            }
            | settings,
            secret=ACCESS_TOKEN,
            callback_secret=APP_SECRET,
        ),
    )


async def gateway(admin, shop, server, channel="sms"):
    return await providers.set_provider(
        admin,
        ProviderInput(
            shop.programme.id,
            channel,
            "primary",
            "signed_webhook",
            {"url": server.base_url + "/hooks/messages", "timeout_seconds": 2.0},
            secret=GATEWAY_SECRET,
        ),
    )


async def send_one(shop, who) -> tuple:
    issuance_id = await shop.issue(who.id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    outcome = await sending.send_delivery(row["id"], QUICK)
    return outcome, await delivery_row(issuance_id)


# ---------------------------------------------------------------- WhatsApp Cloud


async def test_whatsapp_cloud_sends_the_approved_template_with_its_parameters(admin, json_provider):
    shop = await Programme(admin).start()
    server = json_provider(then=meta_accepts, check=bearer)
    await whatsapp_cloud(admin, shop, server)
    asha = await person("W-1", name="Asha Rao", phone="+919812345678", whatsapp="+919812345670", preferred_channel="whatsapp")
    outcome, row = await send_one(shop, asha)
    assert outcome.status == "sent" and row["provider"] == "whatsapp_cloud"
    (request,) = server.requests
    assert request.path == "/v21.0/106540352242922/messages"
    body = request.json
    assert (body["messaging_product"], body["to"], body["type"]) == ("whatsapp", "919812345670", "template")
    assert body["template"]["name"] == "reward_ready" and body["template"]["language"] == {"code": "en_US"}
    (component,) = body["template"]["components"]
    texts = [parameter["text"] for parameter in component["parameters"]]
    assert texts[:2] == ["Asha Rao", "1,500 points"] and texts[2].startswith("http://127.0.0.1:8000/claim/")
    assert row["provider_message_id"] == f"wamid.{len(request.raw)}"


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        (meta_error(400, 131026, "Message undeliverable"), "failed", "NOT_ON_WHATSAPP"),
        (meta_error(400, 132001, "Template name does not exist in the translation"), "failed", "TEMPLATE_NOT_FOUND"),
        (meta_error(400, 131047, "Re-engagement message"), "failed", "OUTSIDE_WINDOW"),
        (meta_error(400, 100, "Invalid parameter"), "failed", "META_100"),
        (meta_error(400, 130429, "Rate limit hit"), "pending", "RATE_LIMITED"),
        (meta_error(400, 131056, "(Business Account, Consumer Account) pair rate limit hit"), "pending", "RATE_LIMITED"),
        (meta_error(500, 131000, "Something went wrong"), "pending", "META_131000"),
        (Answer(503, {}), "pending", "HTTP_503"),
        (Answer(200, stall_seconds=2.5), "pending", "TIMEOUT"),
    ],
)
async def test_whatsapp_cloud_answers_are_classified(admin, json_provider, answer, status, code):
    shop = await Programme(admin).start()
    server = json_provider([answer], then=meta_accepts, check=bearer)
    await whatsapp_cloud(admin, shop, server)
    outcome, row = await send_one(shop, await person("W-2", phone="+919812345678", preferred_channel="whatsapp"))
    assert (outcome.status, row["status"], row["failure_code"]) == (status, status, code)
    if status == "failed":
        assert "Meta code" in row["failure_reason"]


async def test_a_rate_limit_with_retry_after_waits_at_least_that_long(admin, json_provider):
    shop = await Programme(admin).start()
    server = json_provider([meta_error(429, 4, "Application request limit reached", (("Retry-After", "30"),))], then=meta_accepts)
    await whatsapp_cloud(admin, shop, server)
    before = utcnow()
    outcome, row = await send_one(shop, await person("W-3", phone="+919812345678", preferred_channel="whatsapp"))
    assert (outcome.status, row["failure_code"]) == ("pending", "RATE_LIMITED")
    assert outcome.retry.due_at - before >= timedelta(seconds=29)


async def test_a_refused_token_is_permanent(admin, json_provider):
    shop = await Programme(admin).start()
    server = json_provider(then=meta_accepts, check=bearer)
    view = await whatsapp_cloud(admin, shop, server)
    await providers.set_provider(
        admin,
        ProviderInput(shop.programme.id, "whatsapp", "primary", "whatsapp_cloud", view.settings, secret="wrong-token"),
    )
    outcome, row = await send_one(shop, await person("W-4", phone="+919812345678", preferred_channel="whatsapp"))
    assert (outcome.status, row["failure_code"]) == ("failed", "PROVIDER_AUTH")


async def test_whatsapp_cloud_settings_and_secrets(admin):
    shop = await Programme(admin).start()
    with pytest.raises(DomainError) as refused:
        await providers.set_provider(
            admin,
            ProviderInput(
                shop.programme.id,
                "whatsapp",
                "primary",
                "whatsapp_cloud",
                {"api_version": "21", "phone_number_id": "abc", "template_name": "Reward Ready", "body_parameters": ["salary"]},
                secret=ACCESS_TOKEN,
                callback_secret=APP_SECRET,
            ),
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("api_version", "INVALID"),
        ("phone_number_id", "INVALID"),
        ("template_name", "INVALID"),
        ("body_parameters", "UNKNOWN_VARIABLE"),
        ("verify_token", "REQUIRED"),
    ]
    good = {"phone_number_id": "106540352242922", "template_name": "reward_ready", "verify_token": "v"}
    with pytest.raises(DomainError) as refused:  # the app secret signs the callbacks: required
        await providers.set_provider(
            admin, ProviderInput(shop.programme.id, "whatsapp", "primary", "whatsapp_cloud", good, secret=ACCESS_TOKEN)
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [("callback_secret", "REQUIRED")]
    with pytest.raises(DomainError) as refused:
        await providers.set_provider(admin, ProviderInput(shop.programme.id, "sms", "primary", "whatsapp_cloud", good))
    assert [(e.field, e.code) for e in refused.value.errors] == [("kind", "NOT_FOR_CHANNEL")]
    view = await providers.set_provider(
        admin,
        ProviderInput(
            shop.programme.id, "whatsapp", "primary", "whatsapp_cloud", good, secret=ACCESS_TOKEN, callback_secret=APP_SECRET
        ),
    )
    assert (view.secret_masked, view.callback_secret_masked) == ("••••••••-123", "••••••••-456")
    assert view.settings["base_url"] == "https://graph.facebook.com" and view.settings["template_language"] == "en"
    stored = await sql.fetchrow("SELECT secret_sealed, callback_secret_sealed FROM delivery_providers WHERE id = $1", view.id)
    assert APP_SECRET not in stored["callback_secret_sealed"] and ACCESS_TOKEN not in stored["secret_sealed"]
    assert stored["callback_secret_sealed"].startswith("v1:")


async def send_a_notice(shop, phone: str, text: str):
    async with write_transaction():
        notice_id = await notices.queue_notice(
            notices.NoticeRequest(shop.programme.id, "ticket", None, "whatsapp", phone, "Your ticket", text)
        )
    await notices.send_due_notices()
    return await notices.get_notice(SYSTEM, notice_id)


async def test_a_notice_goes_through_the_notice_template_with_its_text_on_one_line(admin, json_provider):
    """An agent's reply is not a reward: sent through the reward's template, it would reach the
    recipient as a reward message with dashes for its values."""
    shop = await Programme(admin).start()
    server = json_provider(then=meta_accepts, check=bearer)
    await whatsapp_cloud(admin, shop, server, notice_template_name="ticket_update")
    notice = await send_a_notice(shop, "+919812345678", "Hello Asha,\n\nWe sent a new code.\tSorry!  " + "x" * 2000)
    assert notice.status == "sent"
    (request,) = server.requests
    body = request.json
    assert (body["to"], body["type"], body["template"]["name"]) == ("919812345678", "template", "ticket_update")
    (component,) = body["template"]["components"]
    (parameter,) = component["parameters"]
    assert parameter["text"].startswith("Hello Asha, We sent a new code. Sorry! xxx")  # Meta refuses newlines and tabs
    assert len(parameter["text"]) == whatsapp_cloud_provider.NOTICE_PARAMETER_LIMIT


async def test_without_a_notice_template_a_notice_is_free_text_and_outside_the_window_says_so(admin, json_provider):
    shop = await Programme(admin).start()
    server = json_provider([Answer(200, {"messages": [{"id": "wamid.1"}]}), meta_error(400, 131047, "Re-engagement message")])
    await whatsapp_cloud(admin, shop, server)
    inside = await send_a_notice(shop, "+919812345678", "Hello Asha,\nyour new code is on its way.")
    assert inside.status == "sent"
    assert server.requests[0].json["type"] == "text"
    assert server.requests[0].json["text"] == {"preview_url": False, "body": "Hello Asha,\nyour new code is on its way."}
    outside = await send_a_notice(shop, "+919812345678", "A day later")
    assert (outside.status, outside.error_code) == ("failed", "OUTSIDE_WINDOW")
    assert "only a template may be sent" in outside.error_text


async def test_a_notice_template_name_is_checked_like_the_reward_template(admin, json_provider):
    shop = await Programme(admin).start()
    with pytest.raises(DomainError) as refused:
        await whatsapp_cloud(admin, shop, json_provider(), notice_template_name="Ticket Update!")
    assert [(e.field, e.code) for e in refused.value.errors] == [("notice_template_name", "INVALID")]


# ---------------------------------------------------------------- a company's gateway


def gateway_verifies(request: Request) -> Answer | None:
    try:
        Webhook(GATEWAY_SECRET).verify(request.raw, request.headers)
    except Exception:  # noqa: BLE001
        return Answer(401, {"code": "BAD_SIGNATURE", "message": "signature does not verify"})
    return None


async def test_the_gateway_gets_a_signed_message_it_can_verify(admin, json_provider):
    shop = await Programme(admin).start()
    server = json_provider(then=Answer(202, {"id": "gw-77"}), check=gateway_verifies)
    row_provider_id = (await gateway(admin, shop, server)).id
    outcome, row = await send_one(shop, await person("G-1", name="Ravi", phone="+919812345678", preferred_channel="sms"))
    assert (outcome.status, row["provider"], row["provider_message_id"]) == ("sent", "signed_webhook", "gw-77")
    (request,) = server.requests
    assert request.path == "/hooks/messages" and request.headers["webhook-id"] == str(row["id"])
    body = request.json
    assert body["type"] == "reward.message"
    assert (body["data"]["channel"], body["data"]["to"]) == ("sms", "+919812345678")
    assert body["data"]["variables"]["recipient_name"] == "Ravi" and "1,500 points" in body["data"]["text"]
    assert body["data"]["status_callback_url"].endswith(f"/callbacks/deliveries/{row_provider_id}")


async def test_a_gateway_that_cannot_verify_us_refuses_and_we_say_so(admin, json_provider):
    shop = await Programme(admin).start()
    server = json_provider(then=Answer(202, {}), check=gateway_verifies)
    await gateway(admin, shop, server)
    other = "whsec_" + base64.b64encode(b"another secret, also 32 bytes!!!").decode()
    row = await sql.fetchrow("SELECT settings FROM delivery_providers")
    await providers.set_provider(
        admin,
        ProviderInput(
            shop.programme.id, "sms", "primary", "signed_webhook", {"url": server.base_url + "/hooks/messages"}, secret=other
        ),
    )
    assert row is not None
    outcome, row = await send_one(shop, await person("G-2", phone="+919812345678", preferred_channel="sms"))
    assert (outcome.status, row["failure_code"]) == ("failed", "HTTP_401")


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        (Answer(422, {"code": "INVALID_NUMBER", "message": "no such subscriber"}), "failed", "INVALID_NUMBER"),
        (Answer(400, {"code": "SOMETHING", "message": "nope"}), "failed", "HTTP_400"),
        (Answer(429, {}, (("Retry-After", "2"),)), "pending", "RATE_LIMITED"),
        (Answer(502, {}), "pending", "HTTP_502"),
        (Answer(200, stall_seconds=2.5), "pending", "TIMEOUT"),
    ],
)
async def test_gateway_answers_are_classified(admin, json_provider, answer, status, code):
    shop = await Programme(admin).start()
    server = json_provider([answer], then=Answer(200, {}))
    await gateway(admin, shop, server, channel="email")
    outcome, row = await send_one(shop, await person("G-3", email="g3@example.com"))
    assert (outcome.status, row["failure_code"]) == (status, code)


async def test_a_gateway_secret_must_be_a_usable_whsec_secret(admin):
    shop = await Programme(admin).start()
    for secret in ("not base64 at all!", "whsec_c2hvcnQ="):
        with pytest.raises(DomainError) as refused:
            await providers.set_provider(
                admin,
                ProviderInput(
                    shop.programme.id, "sms", "primary", "signed_webhook", {"url": "https://gw.example.com/m"}, secret=secret
                ),
            )
        assert [(e.field, e.code) for e in refused.value.errors] == [("secret", "INVALID_SECRET")]
    with pytest.raises(DomainError) as refused:
        await providers.set_provider(
            admin, ProviderInput(shop.programme.id, "sms", "primary", "signed_webhook", {"url": "ftp://x"})
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [("url", "INVALID")]
    assert await reading.sandbox_inbox(admin) == []
