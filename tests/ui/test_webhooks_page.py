"""Webhooks in the console: an endpoint's secret is shown once; a failed delivery's attempts are
readable; replay asks first and says what it did; only admins see the page."""

from __future__ import annotations

import uuid

from nicegui import ui
from nicegui.testing import User

from backend.core import audit
from backend.core.audit import AuditFilter
from backend.core.db import write_transaction
from backend.core.redis_server import free_port
from backend.webhooks.policy import DeliveryPolicy
from backend.webhooks.services import deliveries, endpoints, sending
from backend.webhooks.services.endpoints import signing_secret
from backend.webhooks.tables import WebhookEndpoint
from backend.webhooks.topics import BALANCE_CHANGED

ONE_TRY = DeliveryPolicy(max_attempts=1, timeout_seconds=2)


def secret_on_page(user: User) -> str:
    return next(iter(user.find(kind=ui.label, marker="webhook-secret").elements)).text


async def test_a_new_endpoint_shows_its_secret_once(console: User, admin, patience, table, eventually) -> None:
    await console.open("/webhooks")
    await console.should_see(marker="nav-webhooks")
    console.find(marker="new-endpoint").click()
    await console.should_see(marker="new-endpoint-dialog", retries=patience)
    console.find(marker="endpoint-url").type("https://loyalty.example.com/webhooks/mirabelle")
    console.find(marker="create-endpoint").click()
    await console.should_see("Choose at least one topic to send to this endpoint", retries=patience)  # nothing made
    assert (await endpoints.list_endpoints(admin)).total == 0

    console.find(marker=f"topic-{BALANCE_CHANGED}").click()
    console.find(marker="create-endpoint").click()
    await console.should_see(marker="secret-dialog", retries=patience)
    await console.should_see("It will not be shown again")
    await console.should_see("Added the endpoint https://loyalty.example.com/webhooks/mirabelle")
    secret = secret_on_page(console)
    [endpoint] = (await endpoints.list_endpoints(admin)).rows
    sealed = (await WebhookEndpoint.select(WebhookEndpoint.secret_sealed).first())["secret_sealed"]
    assert secret.startswith("whsec_") and signing_secret(endpoint.id, sealed) == secret  # the one that signs

    console.find(marker="secret-stored").click()
    await console.should_not_see(marker="secret-dialog", retries=patience)
    await console.open("/webhooks")
    await console.should_not_see(marker="webhook-secret")
    rows = table(console, "endpoints-table").rows
    assert [(row["url"], row["status"], row["secret"]) for row in rows] == [
        ("https://loyalty.example.com/webhooks/mirabelle", "Enabled", "whsec_••••••••" + secret[-4:])
    ]
    assert secret.removeprefix("whsec_") not in str(table(console, "endpoints-table").props)


async def a_failed_delivery(admin) -> uuid.UUID:
    """A real failure: the endpoint's port has no listener, so the one allowed try is refused."""
    await endpoints.create_endpoint(admin, f"http://127.0.0.1:{free_port()}/hook", [BALANCE_CHANGED], "Loyalty platform")
    async with write_transaction():
        [due] = await deliveries.enqueue_deliveries(
            BALANCE_CHANGED, [(uuid.uuid4(), {"recipient_external_id": "EMP-1", "available": 10})]
        )
    assert (await sending.attempt_delivery(due.delivery_id, ONE_TRY)).status == "failed"
    return due.delivery_id


async def test_a_failure_shows_its_attempts_and_replay_asks_then_says_what_it_did(
    console: User, admin, patience, table, eventually
) -> None:
    delivery_id = await a_failed_delivery(admin)
    await console.open("/webhooks?tab=failures")
    failures = table(console, "failures-table")
    await eventually(lambda: [row["id"] for row in failures.rows] == [str(delivery_id)])
    row = failures.rows[0]
    assert (
        row["status"] == "failed" and row["last_result"].startswith("ConnectError") and row["actions"] == ["attempts", "replay"]
    )

    console.find(marker="failures-table").trigger("row_action", {"action": "attempts", "key": row["id"]})
    await console.should_see(marker="attempts-dialog", retries=patience)
    attempts = table(console, "attempts-table").rows
    assert [(a["number"], a["result"][:12]) for a in attempts] == [("1.1", "ConnectError")]

    console.find(marker="failures-table").trigger("row_action", {"action": "replay", "key": row["id"]})
    await console.should_see(marker="confirm-dialog", retries=patience)
    await console.should_see("Replay this delivery?")
    await console.should_see("as a new series of up to 8 attempts")
    console.find(marker="confirm-cancel").click()
    await console.should_not_see(marker="confirm-dialog", retries=patience)
    assert (await deliveries.get_delivery(admin, delivery_id)).series == 1  # cancelled: nothing done

    console.find(marker="failures-table").trigger("row_action", {"action": "replay", "key": row["id"]})
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Replay queued: the delivery to http://127.0.0.1", retries=patience)
    await console.should_see("is pending again (replay 1)")
    replayed = await deliveries.get_delivery(admin, delivery_id)
    assert (replayed.status, replayed.series, replayed.attempts) == ("pending", 2, 0)
    assert (await audit.search(admin, AuditFilter(action="webhook_delivery.replayed"))).total == 1
    await eventually(lambda: failures.rows == [])  # no longer a failure
    everything = table(console, "deliveries-table")
    await eventually(lambda: [r["status"] for r in everything.rows] == ["pending"])
    assert everything.rows[0]["attempts"] == "0 (replay 1)"


async def test_disabling_an_endpoint_asks_first(console: User, admin, patience, table, eventually) -> None:
    endpoint, _ = await endpoints.create_endpoint(admin, "https://crm.example.com/hook", [BALANCE_CHANGED])
    await console.open("/webhooks")
    console.find(marker="endpoints-table").trigger("row_action", {"action": "disable", "key": str(endpoint.id)})
    await console.should_see("its pending deliveries are stopped", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Disabled https://crm.example.com/hook; 0 pending deliveries stopped.", retries=patience)
    await eventually(lambda: table(console, "endpoints-table").rows[0]["status"] == "Disabled")
    assert not (await endpoints.get_endpoint(admin, endpoint.id)).enabled


async def test_only_admins_see_webhooks(admin, user: User, sign_in, patience, create_person) -> None:
    await create_person("fin@example.com", ["finance"])
    await sign_in("fin@example.com", "a long enough password")
    await user.should_see(marker="navigation", retries=patience)
    await user.should_not_see(marker="nav-webhooks")
    await user.open("/webhooks")
    await user.should_see("You need the permission “webhooks:manage”", retries=patience)
    await user.should_not_see(marker="endpoints-table")
