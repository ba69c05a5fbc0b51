"""Providers' status callbacks through the running api, against deliveries really sent to loopback
providers: Twilio-shaped (X-Twilio-Signature), Meta-shaped (X-Hub-Signature-256, and its GET
handshake) and Standard Webhooks (webhook-id/-timestamp/-signature, 5-minute tolerance). Good ones
move a delivery forward only; forged, replayed and stale ones change nothing."""

from __future__ import annotations

import base64
import json
import os
import sys
from datetime import timedelta
from urllib.parse import urlencode

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))

from delivery_steps import QUICK, Programme, count, delivery_row, handle, person  # noqa: E402
from json_provider import Answer, JsonProvider  # noqa: E402
from messaging_provider import ACCOUNT_SID, AUTH_TOKEN, MessagingProvider  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

from backend.core import outbox, sql  # noqa: E402
from backend.core.clock import utcnow  # noqa: E402
from backend.core.settings import get_settings  # noqa: E402
from backend.deliveries.providers import http_messaging, whatsapp_cloud  # noqa: E402
from backend.deliveries.services import providers, sending  # noqa: E402
from backend.deliveries.services.providers import ProviderInput  # noqa: E402
from backend.deliveries.services.status_callbacks import moves_forward  # noqa: E402
from backend.webhooks.services.endpoints import create_endpoint  # noqa: E402
from jobs.outbox import registered_handlers  # noqa: E402

APP_SECRET = "meta-app-secret"
GATEWAY_SECRET = "whsec_" + base64.b64encode(b"a gateway secret of 32 bytes!!!!").decode()


@pytest.fixture
def twilio_like():
    with MessagingProvider() as server:
        yield server


@pytest.fixture
def json_server():
    with JsonProvider(then=Answer(200, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.HBgL1"}]})) as server:
        yield server


async def sent_through(admin, kind: str, channel: str, settings: dict, **secrets) -> tuple:
    shop = await Programme(admin).start()
    view = await providers.set_provider(admin, ProviderInput(shop.programme.id, channel, "primary", kind, settings, **secrets))
    contacts = {"email": "a@example.com"} if channel == "email" else {"phone": "+919812345678", "preferred_channel": channel}
    issuance_id = await shop.issue((await person("CB-1", **contacts)).id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    return view, await delivery_row(issuance_id)


async def topics() -> list[str]:
    return [
        row["topic"] for row in await sql.fetch("SELECT topic FROM outbox_events WHERE topic LIKE 'reward.deliver%' ORDER BY id")
    ]


def twilio_post(api, view, params: dict, token: str = AUTH_TOKEN):
    path = f"/callbacks/deliveries/{view.id}"
    signature = http_messaging.signature(token, get_settings().public_url + path, params)
    return api.http.post(
        path,
        content=urlencode(params),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
    )


def test_statuses_move_forward_only():
    assert moves_forward(None, "queued") and moves_forward("queued", "sent") and moves_forward("sent", "delivered")
    assert moves_forward("delivered", "read") and moves_forward("sent", "undeliverable") and moves_forward(None, "bounced")
    assert not moves_forward("delivered", "sent") and not moves_forward("read", "delivered") and not moves_forward("sent", "sent")
    assert (
        not moves_forward("delivered", "failed") and not moves_forward("failed", "read") and not moves_forward("bounced", "sent")
    )


async def test_twilio_shaped_callbacks_good_late_forged_and_replayed(api, admin, twilio_like):
    settings = {"base_url": twilio_like.base_url, "account_sid": ACCOUNT_SID, "from_number": "+14155550100"}
    view, row = await sent_through(admin, "http_messaging", "sms", settings, secret=AUTH_TOKEN)
    sid = row["provider_message_id"]
    # The provider was told where to report: this route, at the public URL.
    assert twilio_like.sent[0]["StatusCallback"] == f"{get_settings().public_url}/callbacks/deliveries/{view.id}"
    delivered = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID, "To": "+919812345678"}

    forged = await twilio_post(api, view, delivered, token="not-the-token")
    assert forged.status_code == 403
    tampered = await api.http.post(
        f"/callbacks/deliveries/{view.id}",
        content=urlencode(delivered | {"MessageStatus": "failed"}),
        headers={"X-Twilio-Signature": http_messaging.signature(AUTH_TOKEN, get_settings().public_url, delivered)},
    )
    assert tampered.status_code == 403
    assert (
        await count("SELECT COUNT(*) FROM delivery_status_events"),
        await count("SELECT COUNT(*) FROM delivery_callback_receipts"),
        await topics(),
    ) == (0, 0, [])

    good = await twilio_post(api, view, delivered)
    assert (good.status_code, good.json()) == (200, {"applied": 1, "kept": 0, "replayed": 0, "stale": 0})
    assert (await delivery_row(row["issuance_id"]))["provider_status"] == "delivered"
    assert await topics() == ["reward.delivered"]
    # Integrators subscribe to it as a webhook topic: the worker's handler makes their delivery.
    await create_endpoint(admin, "https://loyalty.example.com/hooks", ["reward.delivered", "reward.delivery_failed"])
    event = await sql.fetchrow("SELECT id FROM outbox_events WHERE topic = 'reward.delivered'")
    await outbox.process(event["id"], registered_handlers())
    assert await count("SELECT COUNT(*) FROM webhook_deliveries WHERE topic = 'reward.delivered'") == 1

    replayed = await twilio_post(api, view, delivered)
    assert replayed.json() == {"applied": 0, "kept": 0, "replayed": 1, "stale": 0}
    late = await twilio_post(api, view, delivered | {"MessageStatus": "sent"})
    assert late.json() == {"applied": 0, "kept": 1, "replayed": 0, "stale": 0}
    after = await delivery_row(row["issuance_id"])
    assert (after["provider_status"], after["status"]) == ("delivered", "sent")
    events = await sql.fetch("SELECT status, applied FROM delivery_status_events ORDER BY received_at, id")
    assert [(event["status"], bool(event["applied"])) for event in events] == [("delivered", True), ("sent", False)]
    assert await topics() == ["reward.delivered"]


async def test_an_undelivered_callback_flags_the_delivery_in_words(api, admin, twilio_like):
    settings = {"base_url": twilio_like.base_url, "account_sid": ACCOUNT_SID, "from_number": "+14155550100"}
    view, row = await sent_through(admin, "http_messaging", "sms", settings, secret=AUTH_TOKEN)
    params = {"MessageSid": row["provider_message_id"], "MessageStatus": "undelivered", "ErrorCode": "30007"}
    assert (await twilio_post(api, view, params)).json()["applied"] == 1
    after = await delivery_row(row["issuance_id"])
    assert (after["status"], after["provider_status"], after["failure_code"]) == ("failed", "undeliverable", "BLOCKED")
    assert "the carrier blocked the message as spam" in after["failure_reason"]
    assert await topics() == ["reward.delivery_failed"]
    payload = (await sql.fetchrow("SELECT payload FROM outbox_events WHERE topic = 'reward.delivery_failed'"))["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert (payload["delivery_id"], payload["code"], payload["status"]) == (str(row["id"]), "BLOCKED", "undeliverable")
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'delivery.failed'") == 1
    delivered_late = await twilio_post(api, view, params | {"MessageStatus": "delivered"})
    assert delivered_late.json()["kept"] == 1 and (await delivery_row(row["issuance_id"]))["status"] == "failed"


def meta_body(message_id: str, status: str, age: timedelta = timedelta(0), **extra) -> bytes:
    item = {
        "id": message_id,
        "status": status,
        "timestamp": str(int((utcnow() - age).timestamp())),
        "recipient_id": "919812345678",
    } | extra
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [item]}}
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [change]}]}).encode()


async def test_meta_shaped_handshake_and_callbacks(api, admin, json_server):
    settings = {
        "base_url": json_server.base_url,
        "phone_number_id": "106540352242922",
        "template_name": "reward_ready",
        "verify_token": "let-me-in",
    }
    view, row = await sent_through(admin, "whatsapp_cloud", "whatsapp", settings, secret="EAAG-token", callback_secret=APP_SECRET)
    path = f"/callbacks/deliveries/{view.id}"
    handshake = {"hub.mode": "subscribe", "hub.verify_token": "let-me-in", "hub.challenge": "1158201444"}
    answer = await api.http.get(path, params=handshake)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    assert (await api.http.get(path, params=handshake | {"hub.verify_token": "guess"})).status_code == 403

    def post(body: bytes, secret: str = APP_SECRET):
        return api.http.post(path, content=body, headers={"X-Hub-Signature-256": whatsapp_cloud.signature(secret, body)})

    read = meta_body("wamid.HBgL1", "read")
    assert (await post(read, secret="wrong")).status_code == 403
    assert (await api.http.post(path, content=read)).status_code == 403  # no signature at all
    assert await count("SELECT COUNT(*) FROM delivery_status_events") == 0
    assert (await post(read)).json() == {"applied": 1, "kept": 0, "replayed": 0, "stale": 0}
    assert (await post(meta_body("wamid.HBgL1", "delivered"))).json()["kept"] == 1  # delivered after read: late
    assert (await post(read)).json()["replayed"] == 1
    assert (await delivery_row(row["issuance_id"]))["provider_status"] == "read"
    assert await topics() == ["reward.delivered"]  # read before delivered was heard: delivered, once


async def test_meta_shaped_statuses_outside_their_signed_time_window_change_nothing(api, admin, json_server):
    """Meta signs each status's time: one older than Meta's 7-day retry horizon (a replay whose
    receipt may be pruned) or from beyond clock skew in the future is stale, whatever it says."""
    settings = {
        "base_url": json_server.base_url,
        "phone_number_id": "106540352242922",
        "template_name": "reward_ready",
        "verify_token": "v",
    }
    view, row = await sent_through(admin, "whatsapp_cloud", "whatsapp", settings, secret="EAAG-token", callback_secret=APP_SECRET)

    def post(body: bytes):
        headers = {"X-Hub-Signature-256": whatsapp_cloud.signature(APP_SECRET, body)}
        return api.http.post(f"/callbacks/deliveries/{view.id}", content=body, headers=headers)

    old = await post(meta_body("wamid.HBgL1", "failed", age=timedelta(days=8)))
    future = await post(meta_body("wamid.HBgL1", "failed", age=-timedelta(minutes=30)))
    assert old.json() == future.json() == {"applied": 0, "kept": 0, "replayed": 0, "stale": 1}
    assert (
        await count("SELECT COUNT(*) FROM delivery_status_events") == 0
        and await count("SELECT COUNT(*) FROM delivery_callback_receipts") == 0
    )
    assert (await delivery_row(row["issuance_id"]))["status"] == "sent"
    six_days = await post(meta_body("wamid.HBgL1", "delivered", age=timedelta(days=6)))  # a late retry of Meta's: applied
    assert six_days.json()["applied"] == 1 and await topics() == ["reward.delivered"]


async def test_meta_shaped_failure_names_the_reason(api, admin, json_server):
    settings = {
        "base_url": json_server.base_url,
        "phone_number_id": "106540352242922",
        "template_name": "reward_ready",
        "verify_token": "v",
    }
    view, row = await sent_through(admin, "whatsapp_cloud", "whatsapp", settings, secret="EAAG-token", callback_secret=APP_SECRET)
    body = meta_body("wamid.HBgL1", "failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    answer = await api.http.post(
        f"/callbacks/deliveries/{view.id}",
        content=body,
        headers={"X-Hub-Signature-256": whatsapp_cloud.signature(APP_SECRET, body)},
    )
    assert answer.json()["applied"] == 1
    after = await delivery_row(row["issuance_id"])
    assert (after["status"], after["failure_code"]) == ("failed", "NOT_ON_WHATSAPP")
    assert after["failure_reason"].startswith("the number is not on WhatsApp")


async def test_standard_webhooks_callbacks_good_forged_stale_and_replayed(api, admin, json_server):
    view, row = await sent_through(admin, "signed_webhook", "email", {"url": json_server.base_url + "/m"}, secret=GATEWAY_SECRET)
    path = f"/callbacks/deliveries/{view.id}"
    message_id = row["provider_message_id"]

    def post(callback_id: str, status: str, secret: str = GATEWAY_SECRET, age: timedelta = timedelta(0), **data):
        body = json.dumps({"type": "message.status", "data": {"message_id": message_id, "status": status} | data})
        at = utcnow() - age
        headers = {
            "webhook-id": callback_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(callback_id, at, body),
        }
        return api.http.post(path, content=body, headers=headers)

    other = "whsec_" + base64.b64encode(b"another secret, also 32 bytes!!!").decode()
    assert (await post("cb-1", "delivered", secret=other)).status_code == 403
    assert (await post("cb-1", "delivered", age=timedelta(minutes=6))).status_code == 403  # outside the tolerance
    assert await count("SELECT COUNT(*) FROM delivery_callback_receipts") == 0
    assert (await post("cb-1", "queued")).json()["applied"] == 1
    assert (await post("cb-1", "queued")).json()["replayed"] == 1  # the same webhook-id, signed afresh
    assert (await post("cb-2", "bounced", reason="mailbox full for 30 days", error_code="HARD_BOUNCE")).json()["applied"] == 1
    after = await delivery_row(row["issuance_id"])
    assert (after["status"], after["provider_status"], after["failure_code"]) == ("failed", "bounced", "HARD_BOUNCE")
    assert after["failure_reason"] == "mailbox full for 30 days"
    assert await topics() == ["reward.delivery_failed"]


async def test_unknown_providers_and_the_sandbox_take_no_callbacks(api, admin):
    shop = await Programme(admin).start()
    sandbox = await providers.set_provider(admin, ProviderInput(shop.programme.id, "email", "primary", "sandbox"))
    assert (await api.http.post(f"/callbacks/deliveries/{sandbox.id}", content=b"{}")).status_code == 404
    assert (await api.http.post("/callbacks/deliveries/01a24f69-ab02-71f1-bbd1-ae5b6a4d7ab5", content=b"{}")).status_code == 404


async def test_a_providers_callback_cannot_touch_another_programmes_delivery(api, admin, twilio_like):
    settings = {"base_url": twilio_like.base_url, "account_sid": ACCOUNT_SID, "from_number": "+14155550100"}
    ours, _ = await sent_through(admin, "http_messaging", "sms", settings, secret=AUTH_TOKEN)
    shop = await Programme(admin).start("Another programme")
    await providers.set_provider(
        admin, ProviderInput(shop.programme.id, "sms", "primary", "http_messaging", settings, secret=AUTH_TOKEN)
    )
    issuance_id = await shop.issue((await person("CB-2", phone="+919812345679", preferred_channel="sms")).id)
    await handle(issuance_id)
    theirs = await delivery_row(issuance_id)
    assert (await sending.send_delivery(theirs["id"], QUICK)).status == "sent"
    sid = (await delivery_row(issuance_id))["provider_message_id"]
    answer = await twilio_post(api, ours, {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "21211"})
    assert answer.json() == {"applied": 0, "kept": 1, "replayed": 0, "stale": 0}
    after = await delivery_row(issuance_id)
    assert (after["status"], after["provider_status"]) == ("sent", None)
    assert (
        await count("SELECT COUNT(*) FROM delivery_status_events") == 0
        and await count("SELECT COUNT(*) FROM delivery_callback_receipts") == 0
    )
