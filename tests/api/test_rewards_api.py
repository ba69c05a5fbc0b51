"""Issuing rewards over real HTTP through the documented operations: outcomes, typed rejections that
change nothing, idempotent replays, scopes, batches, and the caps holding under concurrent calls."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.core.clock import utcnow
from backend.ledger import services as ledger
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def documented(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


async def _setup(admin, **caps):
    programme = await recipients.create_programme(admin, "Deal closers", "INR", "0.25")
    people = []
    for index in range(3):
        result = await recipients.upsert_recipient(
            admin,
            RecipientInput(external_id=f"EMP-{index}", full_name=f"Person {index}", email=f"p{index}@example.com", country="IN"),
        )
        people.append(result.recipient)
    campaign = await campaigns.create_campaign(
        admin,
        CampaignInput(
            programme_id=programme.id,
            name="Deal closers Q4",
            reward_type="points",
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=30),
            **caps,
        ),
    )
    campaign = await campaigns.activate_campaign(admin, campaign.id)
    return programme, people, campaign


class Issuer:
    def __init__(self, api, key: str, campaign_id):
        self.api, self.key, self.campaign_id = api, key, str(campaign_id)

    def reward(self, external_id: str, value: int, idempotency_key: str, **fields) -> dict:
        return {
            "campaignId": self.campaign_id,
            "recipientExternalId": external_id,
            "value": value,
            "idempotencyKey": idempotency_key,
            **fields,
        }

    async def issue(self, external_id: str, value: int, idempotency_key: str, key: str | None = None, **fields) -> dict:
        data = await self.api.data(
            documented("IssueReward"),
            {"input": self.reward(external_id, value, idempotency_key, **fields)},
            key=key or self.key,
            operation_name="IssueReward",
        )
        return data["issueReward"]

    async def issue_many(self, rewards: list[dict]) -> dict:
        data = await self.api.data(
            documented("IssueRewards"), {"input": {"rewards": rewards}}, key=self.key, operation_name="IssueRewards"
        )
        return data["issueRewards"]

    async def campaign(self) -> dict:
        data = await self.api.data(documented("Campaign"), {"id": self.campaign_id}, key=self.key, operation_name="Campaign")
        return data["campaign"]


async def _points(admin, programme, person) -> int:
    return (await ledger.balance(admin, programme.id, person.id)).available


async def test_a_points_reward_is_issued_credited_and_replayed_once(api, key, admin):
    programme, people, campaign = await _setup(admin)
    issuer = Issuer(api, key, campaign.id)

    first = await issuer.issue("EMP-0", 250, "crm-D-1", sourceEvent="crm:deal:D-1:closed-won")
    assert first["status"] == "ISSUED" and first["errors"] == [] and first["replayed"] is False
    assert (
        first["issuance"]["value"] == 250 and first["issuance"]["status"] == "ISSUED" and first["issuance"]["channel"] == "email"
    )
    again = await issuer.issue("EMP-0", 250, "crm-D-1", sourceEvent="crm:deal:D-1:closed-won")
    assert again["replayed"] is True and again["issuance"]["id"] == first["issuance"]["id"]
    assert await _points(admin, programme, people[0]) == 250  # credited once

    conflict = await issuer.issue("EMP-0", 500, "crm-D-1")
    assert conflict["status"] == "REJECTED" and [e["code"] for e in conflict["errors"]] == ["IDEMPOTENCY_CONFLICT"]
    counters = await issuer.campaign()
    assert counters["issuedCount"] == 1 and counters["issuedValue"] == 250
    assert await _points(admin, programme, people[0]) == 250


async def test_rejections_are_typed_and_change_nothing(api, key, admin):
    programme, people, campaign = await _setup(admin, max_rewards=1, recipient_max_count=1)
    issuer = Issuer(api, key, campaign.id)
    assert (await issuer.issue("EMP-0", 100, "k-1"))["status"] == "ISSUED"

    capped = await issuer.issue("EMP-1", 100, "k-2")
    assert capped["status"] == "REJECTED" and capped["issuance"] is None
    assert [e["code"] for e in capped["errors"]] == ["CAP_REACHED"]
    unknown = await issuer.issue("EMP-404", 100, "k-3")
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("RECIPIENT_NOT_FOUND", "recipientExternalId")]
    huge = await issuer.issue("E" * 10_000, 100, "k-3b")  # the refusal names its start, not 10,000 characters
    assert [e["code"] for e in huge["errors"]] == ["RECIPIENT_NOT_FOUND"]
    assert huge["errors"][0]["message"].endswith("… (10,000 characters)'") and len(huge["errors"][0]["message"]) < 200
    bad_id = await api.data(
        documented("IssueReward"),
        {"input": {**issuer.reward("EMP-1", 100, "k-4"), "campaignId": "nope"}},
        key=key,
        operation_name="IssueReward",
    )
    assert [(e["code"], e["field"]) for e in bad_id["issueReward"]["errors"]] == [("CAMPAIGN_NOT_FOUND", "campaignId")]

    await campaigns.pause_campaign(admin, campaign.id, "budget review")
    paused = await issuer.issue("EMP-1", 100, "k-5")
    assert [e["code"] for e in paused["errors"]] == ["CAMPAIGN_NOT_ACTIVE"]

    counters = await issuer.campaign()
    assert counters["issuedCount"] == 1 and counters["remainingCount"] == 0
    assert await _points(admin, programme, people[1]) == 0
    # A rejection stores no idempotency record: once the cause is fixed, the same key may issue.
    await campaigns.activate_campaign(admin, campaign.id)
    await campaigns.update_campaign(
        admin,
        campaign.id,
        CampaignInput(
            programme_id=programme.id,
            name="Deal closers Q4",
            reward_type="points",
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            max_rewards=5,
            recipient_max_count=1,
        ),
    )
    assert (await issuer.issue("EMP-1", 100, "k-2"))["status"] == "ISSUED"


async def test_the_scope_is_required(api, make_key, admin):
    _, _, campaign = await _setup(admin)
    reader = await make_key("rewards:read")
    refused = await Issuer(api, reader, campaign.id).issue("EMP-0", 100, "k-1")
    assert refused["status"] == "REJECTED" and [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    writer = await make_key("rewards:write")
    errors = await api.errors(documented("Campaign"), {"id": str(campaign.id)}, key=writer)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert (await campaigns.get_campaign(admin, campaign.id)).issued_count == 0


async def test_a_batch_is_decided_row_by_row_in_order(api, key, admin):
    _, _, campaign = await _setup(admin, recipient_max_count=1)
    issuer = Issuer(api, key, campaign.id)
    result = await issuer.issue_many(
        [
            issuer.reward("EMP-0", 100, "b-1"),
            issuer.reward("EMP-0", 100, "b-2"),
            issuer.reward("EMP-404", 100, "b-3"),
            issuer.reward("EMP-1", 100, "b-4"),
        ]
    )
    assert [row["status"] for row in result["results"]] == ["ISSUED", "REJECTED", "REJECTED", "ISSUED"]
    assert [row["errors"][0]["code"] for row in result["results"] if row["errors"]] == [
        "RECIPIENT_CAP_REACHED",
        "RECIPIENT_NOT_FOUND",
    ]
    assert (result["issuedCount"], result["rejectedCount"]) == (2, 2)

    too_many = await issuer.issue_many([issuer.reward("EMP-2", 1, f"t-{index}") for index in range(101)])
    assert [e["code"] for e in too_many["errors"]] == ["TOO_MANY"] and too_many["results"] == []
    assert (await campaigns.get_campaign(admin, campaign.id)).issued_count == 2


async def test_concurrent_calls_never_exceed_the_cap(api, key, admin):
    _, _, campaign = await _setup(admin, max_rewards=10, budget=1_000)
    issuer = Issuer(api, key, campaign.id)
    outcomes = await asyncio.gather(*(issuer.issue(f"EMP-{index % 3}", 100, f"race-{index}") for index in range(40)))
    statuses = [outcome["status"] for outcome in outcomes]
    assert statuses.count("ISSUED") == 10
    assert {e["code"] for outcome in outcomes for e in outcome["errors"]} <= {"CAP_REACHED", "BUDGET_EXHAUSTED"}
    counters = await issuer.campaign()
    assert (counters["issuedCount"], counters["issuedValue"], counters["remainingBudget"]) == (10, 1_000, 0)


async def test_a_key_that_cannot_read_recipients_learns_nothing_about_who_exists(api, make_key, admin):
    from backend.recipients.tables import Recipient

    _, people, campaign = await _setup(admin, points_value=100)
    issuer = Issuer(api, await make_key("rewards:write", name="POS"), campaign.id)
    await Recipient.update({Recipient.status: "inactive"}).where(Recipient.id == people[2].id)

    def answer(result: dict) -> tuple:
        return result["status"], [(e["code"], e["field"], e["message"]) for e in result["errors"]]

    # A request refused for what it is gets the same refusal whoever it names: known, unknown, inactive.
    wrong_value = [answer(await issuer.issue(who, 5, f"v-{who}")) for who in ("EMP-0", "EMP-404", "EMP-2")]
    assert wrong_value[0][1][0][0] == "INVALID_DENOMINATION" and wrong_value.count(wrong_value[0]) == 3
    # Decided on the recipient: unknown and inactive are one refusal.
    unknown, inactive = [answer(await issuer.issue(who, 100, f"r-{who}")) for who in ("EMP-404", "EMP-2")]
    assert unknown == inactive == ("REJECTED", [("NOT_ELIGIBLE", None, unknown[1][0][2])])
    assert "EMP-404" not in str(unknown) and "Person 2" not in str(inactive)
    await campaigns.pause_campaign(admin, campaign.id, "audit")
    paused = [answer(await issuer.issue(who, 100, f"p-{who}")) for who in ("EMP-0", "EMP-404")]
    assert paused[0] == paused[1] and paused[0][1][0][0] == "CAMPAIGN_NOT_ACTIVE"
    # A key that can read recipients could look them up anyway: it is told which.
    told = await Issuer(api, await make_key("rewards:write", "recipients:read", name="CRM"), campaign.id).issue(
        "EMP-404", 100, "t-1"
    )
    assert [(e["code"], e["field"]) for e in told["errors"]] == [("RECIPIENT_NOT_FOUND", "recipientExternalId")]
