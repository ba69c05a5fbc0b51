"""Deliveries over real HTTP through the documented operations: a reward's delivery and attempts
(one query per batch), the deliveries connection, resendReward (typed errors, bad ids, bad
contacts, a replayed idempotency key), rewards(filter) with a delivery status, campaigns(filter),
and the scopes that guard each."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from delivery_examples import issued_with_delivery

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.core import sql
from backend.core.clock import utcnow
from backend.recipients import services as recipients

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def documented(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


async def _campaign(admin, programme, name: str):
    campaign = await campaigns.create_campaign(
        admin,
        CampaignInput(
            programme_id=programme.id,
            name=name,
            reward_type="points",
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=30),
        ),
    )
    return await campaigns.activate_campaign(admin, campaign.id)


@pytest.fixture
async def shop(admin):
    programme = await recipients.create_programme(admin, "Deal closers", "INR", "0.25")
    return programme, await _campaign(admin, programme, "Deal closers Q4")


def resend_input(reward_id, key: str = "resend-1", **fields) -> dict:
    return {"input": {"rewardId": str(reward_id), "idempotencyKey": key, **fields}}


async def test_resend_reward_fixes_the_contact_and_a_replay_returns_the_first_result(api, key, admin, shop):
    _, campaign = shop
    person, reward_id, delivery_id = await issued_with_delivery(admin, campaign.id, "EMP-1", failed=True)
    first = (await api.data(documented("ResendReward"), resend_input(reward_id, channel="sms", contact="98123 45678"), key=key))[
        "resendReward"
    ]
    assert first["errors"] == [] and first["replayed"] is False
    delivery = first["delivery"]
    assert (delivery["id"], delivery["channel"], delivery["contact"], delivery["status"]) == (
        str(delivery_id),
        "sms",
        "+919812345678",
        "pending",
    )
    assert (await recipients.get_recipient(admin, recipient_id=person.id)).phone == "+919812345678"
    again = (await api.data(documented("ResendReward"), resend_input(reward_id, channel="sms", contact="98123 45678"), key=key))[
        "resendReward"
    ]
    assert again["replayed"] is True and again["errors"] == [] and again["delivery"]["id"] == str(delivery_id)
    assert int((await sql.fetchrow("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'delivery.resent'"))["n"]) == 1
    conflict = (await api.data(documented("ResendReward"), resend_input(reward_id, channel="email"), key=key))["resendReward"]
    assert [(e["field"], e["code"]) for e in conflict["errors"]] == [("idempotencyKey", "IDEMPOTENCY_CONFLICT")]
    assert conflict["delivery"] is None


async def test_resend_reward_refusals_are_typed_and_change_nothing(api, key, admin, shop):
    _, campaign = shop
    person, reward_id, delivery_id = await issued_with_delivery(admin, campaign.id, "EMP-1", failed=True)

    async def refused(variables) -> list[tuple]:
        payload = (await api.data(documented("ResendReward"), variables, key=key))["resendReward"]
        assert payload["delivery"] is None and payload["replayed"] is False
        return [(e["field"], e["code"]) for e in payload["errors"]]

    assert await refused(resend_input(reward_id, "k1", contact="asha at example")) == [("contact", "INVALID_EMAIL")]
    assert await refused(resend_input(reward_id, "k2", channel="sms", contact="12")) == [("contact", "INVALID_PHONE")]
    assert await refused(resend_input(reward_id, "k3", contact="a\u0000@example.com")) == [("contact", "INVALID_CHARACTERS")]
    assert await refused(resend_input(reward_id, "k4", channel="fax")) == [("channel", "INVALID_CHANNEL")]
    assert await refused(resend_input("not-an-id", "k5")) == [("rewardId", "NOT_FOUND")]
    assert await refused(resend_input("0190f1b2-0000-7000-8000-000000000000", "k6")) == [("rewardId", "NOT_FOUND")]
    assert await refused(resend_input(reward_id, " ")) == [("idempotencyKey", "IDEMPOTENCY_KEY_INVALID")]
    await sql.fetch("UPDATE deliveries SET status = 'sending' WHERE id = $1", delivery_id)
    assert await refused(resend_input(reward_id, "k7")) == [("rewardId", "DELIVERY_IN_FLIGHT")]
    row = await sql.fetchrow("SELECT status, contact FROM deliveries WHERE id = $1", delivery_id)
    assert (row["status"], row["contact"]) == ("sending", "emp-1@example.com")
    assert (await recipients.get_recipient(admin, recipient_id=person.id)).email == "emp-1@example.com"
    stored = await sql.fetchrow("SELECT COUNT(*) AS n FROM idempotency_records WHERE key LIKE 'k%'")
    assert int(stored["n"]) == 0  # refusals store nothing: the keys stay usable


async def test_scopes_guard_every_field(api, make_key, admin, shop):
    _, campaign = shop
    _, reward_id, delivery_id = await issued_with_delivery(admin, campaign.id, "EMP-1", failed=True)
    rewards_only = await make_key("rewards:read")
    reader = await make_key("deliveries:read", "rewards:read")
    for name, variables in (("Deliveries", {}), ("Delivery", {"id": str(delivery_id)})):
        (error,) = await api.errors(documented(name), variables, key=rewards_only)
        assert error["extensions"] == {"code": "FORBIDDEN", "scope": "deliveries:read"}
    # The reward is readable; its delivery is not, without deliveries:read.
    response = await api.post(documented("RewardDelivery"), {"id": str(reward_id)}, key=rewards_only)
    body = response.json()
    assert body["data"]["rewardIssuance"]["delivery"] is None and body["data"]["rewardIssuance"]["id"] == str(reward_id)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    (error,) = await api.errors(documented("Rewards"), {"filter": {"deliveryStatus": "failed"}}, key=rewards_only)
    assert error["extensions"]["code"] == "FORBIDDEN"
    payload = (await api.data(documented("ResendReward"), resend_input(reward_id), key=reader))["resendReward"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "FORBIDDEN")] and payload["delivery"] is None
    assert (await sql.fetchrow("SELECT status FROM deliveries WHERE id = $1", delivery_id))["status"] == "failed"
    # contact is the recipient's: a key without recipients:read sees null.
    node = (await api.data(documented("Delivery"), {"id": str(delivery_id)}, key=reader))["delivery"]
    assert node["status"] == "failed"
    contact = await api.data("query($id: ID!) { delivery(id: $id) { contact } }", {"id": str(delivery_id)}, key=reader)
    assert contact["delivery"]["contact"] is None


async def test_the_deliveries_connection_pages_failed_first_and_refuses_bad_filters(api, key, admin, shop):
    _, campaign = shop
    made = [await issued_with_delivery(admin, campaign.id, f"EMP-{n}", failed=n in (1, 3)) for n in range(5)]
    failed = [str(made[3][2]), str(made[1][2])]
    rest = [str(made[n][2]) for n in (4, 2, 0)]
    seen, after = [], None
    while True:
        data = (await api.data(documented("Deliveries"), {"first": 2, "after": after}, key=key))["deliveries"]
        seen += [edge["node"]["id"] for edge in data["edges"]]
        assert data["totalCount"] == 5
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == failed + rest
    only_failed = await api.data(
        documented("Deliveries"), {"filter": {"status": "failed", "campaignId": str(campaign.id)}}, key=key
    )
    nodes = [edge["node"] for edge in only_failed["deliveries"]["edges"]]
    assert [node["id"] for node in nodes] == failed and {node["failureCode"] for node in nodes} == {"INVALID_NUMBER"}
    assert nodes[0]["contact"] == "emp-3@example.com"  # this key has recipients:read
    for variables, words in (
        ({"filter": {"campaignId": "nope"}}, "'nope' is not a campaign id"),
        ({"filter": {"channel": "fax"}}, "a channel is one of"),
        ({"after": "bm9wZQ=="}, "is not a cursor of the deliveries list"),
    ):
        (error,) = await api.errors(documented("Deliveries"), variables, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and words in error["message"]
    (error,) = await api.errors(documented("Delivery"), {"id": "nope"}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await api.data(documented("Delivery"), {"id": "0190f1b2-0000-7000-8000-000000000000"}, key=key))["delivery"] is None


async def test_rewards_and_campaigns_connections_filter_for_reconciliation(api, key, admin, shop):
    programme, campaign = shop
    other = await _campaign(admin, programme, "Spot awards")
    made = [await issued_with_delivery(admin, campaign.id, f"EMP-{n}", failed=n == 1) for n in range(3)]
    elsewhere = await issued_with_delivery(admin, other.id, "EMP-9")

    async def rewards(**filter_) -> list[str]:
        data = (await api.data(documented("Rewards"), {"filter": filter_, "first": 2}, key=key))["rewards"]
        ids = [edge["node"]["id"] for edge in data["edges"]]
        after = data["pageInfo"]["endCursor"]
        while data["pageInfo"]["hasNextPage"]:
            data = (await api.data(documented("Rewards"), {"filter": filter_, "first": 2, "after": after}, key=key))["rewards"]
            ids += [edge["node"]["id"] for edge in data["edges"]]
            after = data["pageInfo"]["endCursor"]
        return ids

    newest_first = [str(made[n][1]) for n in (2, 1, 0)]
    assert await rewards(campaignId=str(campaign.id)) == newest_first
    assert await rewards(campaignId=str(campaign.id), deliveryStatus="failed") == [str(made[1][1])]
    assert await rewards(deliveryStatus="pending", status="ISSUED") == [str(elsewhere[1]), str(made[2][1]), str(made[0][1])]
    assert await rewards(recipientId=str(made[0][0].id)) == [str(made[0][1])]
    assert await rewards(issuedAfter=(utcnow() + timedelta(minutes=5)).isoformat()) == []
    assert await rewards(status="CANCELLED") == []
    counted = await api.data(documented("Rewards"), {"filter": {"deliveryStatus": "failed", "status": "ISSUED"}}, key=key)
    assert counted["rewards"]["totalCount"] == 1
    assert counted["rewards"]["edges"][0]["node"]["delivery"] == {"status": "failed", "failureCode": "INVALID_NUMBER"}
    (error,) = await api.errors(documented("Rewards"), {"filter": {"recipientId": "EMP-1"}}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "not a recipient id" in error["message"]
    now = utcnow().isoformat()
    (error,) = await api.errors(documented("Rewards"), {"filter": {"issuedAfter": now, "issuedBefore": now}}, key=key)
    assert "issued before must be later" in error["message"]

    campaigns_page = await api.data(documented("Campaigns"), {"filter": {"programmeId": str(programme.id)}, "first": 1}, key=key)
    data = campaigns_page["campaigns"]
    assert [edge["node"]["name"] for edge in data["edges"]] == ["Spot awards"] and data["totalCount"] == 2
    assert data["pageInfo"]["hasNextPage"] is True
    second = await api.data(documented("Campaigns"), {"filter": {}, "first": 5, "after": data["pageInfo"]["endCursor"]}, key=key)
    assert [edge["node"]["name"] for edge in second["campaigns"]["edges"]] == ["Deal closers Q4"]
    (error,) = await api.errors(documented("Campaigns"), {"filter": {"status": "sleeping"}}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "a campaign is" in error["message"]


async def test_a_page_of_rewards_reads_deliveries_and_attempts_in_one_query_each(api, key, admin, shop, monkeypatch):
    _, campaign = shop
    made = [await issued_with_delivery(admin, campaign.id, f"EMP-{n}") for n in range(4)]
    for _, _, delivery_id in made:  # an attempt each, as the worker records one
        await sql.fetch(
            "INSERT INTO delivery_attempts (id, delivery, number, channel, provider, provider_role, status, latency_ms, "
            "started_at) VALUES ($1, $2, 1, 'email', 'sandbox', 'primary', 'sent', 12, $3)",
            delivery_id,  # any fresh id: the delivery's own is one
            delivery_id,
            utcnow(),
        )
    statements: list[str] = []
    run = sql._run

    async def recorded(text, args):  # the real statement runs; its text is noted
        statements.append(text)
        return await run(text, args)

    monkeypatch.setattr(sql, "_run", recorded)
    query = "{ rewards(first: 10) { edges { node { id delivery { status attempts { number provider } } } } } }"
    data = await api.data(query, key=key)
    monkeypatch.undo()
    nodes = [edge["node"] for edge in data["rewards"]["edges"]]
    assert len(nodes) == 4 and all(node["delivery"]["attempts"] == [{"number": 1, "provider": "sandbox"}] for node in nodes)

    def reads(table: str) -> int:
        return sum(bool(re.search(rf"FROM {table}\b", text)) for text in statements)

    assert (reads("deliveries"), reads("delivery_attempts")) == (1, 1), statements
