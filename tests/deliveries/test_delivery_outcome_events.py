"""What integrators are told of a delivery's end besides providers' callbacks: the sandbox delivers at
once (reward.delivered), an SMTP server's acceptance is "sent" only (no reward.delivered), and a
reward with no usable contact is announced failed (reward.delivery_failed) when its delivery is made."""

from __future__ import annotations

import json

from delivery_steps import QUICK, Programme, delivery_row, handle, made, person, plain_smtp, sms_without_phone

from backend.core import sql
from backend.deliveries.services import sending


async def events_of(topic: str) -> list[dict]:
    rows = await sql.fetch("SELECT payload FROM outbox_events WHERE topic = $1", topic)
    return [json.loads(row["payload"]) if isinstance(row["payload"], str) else dict(row["payload"]) for row in rows]


async def test_a_sandbox_delivery_is_delivered_at_once_and_integrators_are_told_once(admin):
    shop = await Programme(admin).start()
    asha = await person("E-1", email="asha@example.com")
    row = await made(shop, asha)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    after = await delivery_row(row["issuance_id"])
    assert (after["status"], after["provider"], after["provider_status"]) == ("sent", "sandbox", "delivered")
    (event,) = await events_of("reward.delivered")
    assert (event["delivery_id"], event["issuance_id"], event["status"], event["provider"], event["channel"]) == (
        str(row["id"]),
        str(row["issuance_id"]),
        "delivered",
        "sandbox",
        "email",
    )
    assert (await sending.send_delivery(row["id"], QUICK)).status == "skipped"  # a re-run tells no one again
    assert len(await events_of("reward.delivered")) == 1


async def test_an_smtp_servers_acceptance_is_sent_not_delivered(admin, smtp_server):
    shop = await Programme(admin).start()
    await plain_smtp(admin, shop, smtp_server.port)
    row = await made(shop, await person("E-1", email="asha@example.com"))
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    assert len(smtp_server.received) == 1
    after = await delivery_row(row["issuance_id"])
    assert (after["status"], after["provider"], after["provider_status"]) == ("sent", "smtp", None)
    assert await events_of("reward.delivered") == [] and await events_of("reward.delivery_failed") == []


async def test_a_reward_without_a_contact_is_announced_failed_when_its_delivery_is_made(admin):
    shop = await Programme(admin).start()
    noor = await sms_without_phone("N-1", name="Noor Nophone", email="noor@example.com")
    row = await made(shop, noor)
    assert (row["status"], row["failure_code"]) == ("failed", "MISSING_CONTACT")
    (event,) = await events_of("reward.delivery_failed")
    assert (event["delivery_id"], event["issuance_id"], event["recipient_id"], event["channel"]) == (
        str(row["id"]),
        str(row["issuance_id"]),
        str(noor.id),
        "sms",
    )
    assert (event["status"], event["code"], event["provider"]) == ("failed", "MISSING_CONTACT", None)
    assert "(field phone)" in event["reason"]
    await handle(row["issuance_id"])  # the same reward.issued event again: no second delivery, no second event
    assert len(await events_of("reward.delivery_failed")) == 1
