"""Issuing rewards: every rejection code (each changes nothing), points credited in the ledger, a
voucher code allocated and the terms version recorded, idempotent replay and conflict, the
reward.issued outbox event, the approval mode, and the dry run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from campaign_steps import (
    api_key_actor,
    import_codes,
    make_people,
    make_programme,
    offers_campaign,
    points_campaign,
    stocked_live_offer,
)
from catalogue_steps import offer_input

from backend.campaigns.services import campaigns
from backend.catalog.services import allocation, offers, terms
from backend.core import audit, sql
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.ledger import services as ledger
from backend.rewards.services import issuances
from backend.rewards.services.issuance import RewardRequest, issue_reward, issue_rewards, price_rewards
from backend.rewards.services.rejections import RejectionCode


async def counters(campaign_id):
    c = await campaigns.get_campaign(SYSTEM, campaign_id)
    return c.issued_count, c.issued_value, c.pending_count, c.pending_value


async def row_count(table: str) -> int:
    return int((await sql.fetchrow(f"SELECT COUNT(*) AS n FROM {table}"))["n"])


async def test_a_points_reward_credits_the_ledger_records_and_announces_it(admin):
    programme = await make_programme()
    (person,) = await make_people(1)
    campaign = await points_campaign(admin, programme.id, budget=10_000)
    key = api_key_actor()
    outcome = await issue_reward(
        key, RewardRequest(campaign.id, person, None, 250, idempotency_key="sale-981", source_event="pos:sale:981")
    )
    assert (outcome.status, outcome.rejection, outcome.replayed) == ("issued", None, False)
    balance = await ledger.balance(SYSTEM, programme.id, person)
    assert balance.available == 250
    issuance = await issuances.get_issuance(admin, outcome.issuance_id)
    assert (issuance.campaign_id, issuance.recipient_id, issuance.offer_id, issuance.value, issuance.currency) == (
        campaign.id,
        person,
        None,
        250,
        None,
    )
    assert (issuance.source_event, issuance.channel, issuance.status, issuance.requested_by_label) == (
        "pos:sale:981",
        "email",
        "issued",
        "pos-integration",
    )
    transfer = await ledger.get_transfer(SYSTEM, issuance.points_transfer_id)
    assert (transfer.amount, transfer.source.value, transfer.reference) == (250, "campaign", f"reward:{outcome.issuance_id}")
    events = await sql.fetch("SELECT topic, payload FROM outbox_events WHERE topic = 'reward.issued'")
    assert len(events) == 1 and str(outcome.issuance_id) in str(events[0]["payload"])
    history = await audit.entity_history(admin, "reward_issuance", outcome.issuance_id)
    assert [h["action"] for h in history] == ["reward.issued"] and history[0]["actor_label"] == "pos-integration"
    assert history[0]["after"]["source_event"] == "pos:sale:981"
    assert await counters(campaign.id) == (1, 250, 0, 0)


async def test_an_offer_reward_takes_a_code_and_records_the_terms_version(admin, checker):
    programme = await make_programme()
    (person,) = await make_people(1)
    offer = await stocked_live_offer(admin, checker, codes=2)
    campaign = await offers_campaign(admin, programme.id, [offer.id], default_channel="sms")
    version_one = offer.current_terms_version_id
    first = await issue_reward(admin, RewardRequest(campaign.id, person, offer.id, 50000, idempotency_key="a"))
    revised = await terms.revise_terms(admin, offer.id, "Version two: valid online only.")
    second = await issue_reward(
        admin, RewardRequest(campaign.id, person, offer.id, 50000, idempotency_key="b", channel="whatsapp")
    )
    one, two = await issuances.get_issuance(admin, first.issuance_id), await issuances.get_issuance(admin, second.issuance_id)
    assert (one.terms_version_id, two.terms_version_id) == (version_one, revised.id)
    assert (one.currency, one.channel, two.channel) == ("INR", "sms", "whatsapp")
    code = await allocation.allocation_for(admin, first.issuance_id)
    assert code is not None and code.status == "allocated" and code.denomination == 50000
    third = await issue_reward(admin, RewardRequest(campaign.id, person, offer.id, 50000, idempotency_key="c"))
    assert (third.status, third.rejection) == ("rejected", RejectionCode.OUT_OF_STOCK)
    assert await counters(campaign.id) == (2, 100000, 0, 0)


async def test_every_rejection_has_its_code_and_changes_nothing(admin, checker):
    programme = await make_programme()
    people = await make_people(3, grade="3")
    offer = await stocked_live_offer(admin, checker, codes=5, rule="grade >= 5")
    other = await offers.create_offer(admin, offer.partner_id, offer_input(title="Other"), terms="T")
    usd = await offers.create_offer(admin, offer.partner_id, offer_input(title="Dollars"), terms="T")
    await import_codes(admin, usd.id, 1, prefix="USD")
    voucher = await offers_campaign(admin, programme.id, [offer.id, other.id, usd.id], max_rewards=100)
    # The offer's currency changes after the campaign allowed it.
    await offers.update_offer(admin, usd.id, offer_input(title="Dollars", currency="USD"))
    usd = await offers.change_offer_status(admin, usd.id, "live")
    points = await points_campaign(admin, programme.id, points_value=100, max_rewards=1, budget=150, recipient_max_count=1)
    draft = await points_campaign(admin, programme.id, activate=False, name="Draft")
    now = utcnow()
    future = await points_campaign(
        admin, programme.id, name="Next year", starts_at=now + timedelta(days=300), ends_at=now + timedelta(days=400)
    )
    # Points for the cap and recipient-cap cases: person 0 takes the only reward of `points`.
    assert (await issue_reward(admin, RewardRequest(points.id, people[0], None, 100, idempotency_key="ok"))).status == "issued"
    budget_only = await points_campaign(admin, programme.id, name="Small budget", budget=150)
    assert (
        await issue_reward(admin, RewardRequest(budget_only.id, people[0], None, 100, idempotency_key="b1"))
    ).status == "issued"
    before = (
        await row_count("reward_issuances"),
        await row_count("campaign_grants"),
        await row_count("ledger_transfers"),
        await row_count("audit_events"),
    )
    cases = {
        RejectionCode.CAMPAIGN_NOT_FOUND: RewardRequest(new_id(), people[1], None, 100, "k1"),
        RejectionCode.CAMPAIGN_NOT_ACTIVE: RewardRequest(draft.id, people[1], None, 100, "k2"),
        RejectionCode.OUTSIDE_CAMPAIGN_DATES: RewardRequest(future.id, people[1], None, 100, "k3"),
        RejectionCode.OFFER_NOT_ALLOWED: RewardRequest(voucher.id, people[1], None, 100, "k4"),
        RejectionCode.OFFER_NOT_LIVE: RewardRequest(voucher.id, people[1], other.id, 50000, "k5"),
        RejectionCode.CURRENCY_MISMATCH: RewardRequest(voucher.id, people[1], usd.id, 50000, "k6"),
        RejectionCode.INVALID_DENOMINATION: RewardRequest(voucher.id, people[1], offer.id, 12345, "k7"),
        RejectionCode.NOT_ELIGIBLE: RewardRequest(voucher.id, people[1], offer.id, 50000, "k8"),
        RejectionCode.RECIPIENT_NOT_FOUND: RewardRequest(points.id, new_id(), None, 100, "k9"),
        RejectionCode.CAP_REACHED: RewardRequest(points.id, people[1], None, 100, "k10"),
        RejectionCode.RECIPIENT_CAP_REACHED: RewardRequest(points.id, people[0], None, 100, "k11"),
        RejectionCode.BUDGET_EXHAUSTED: RewardRequest(budget_only.id, people[1], None, 100, "k12"),
        RejectionCode.INVALID_CHANNEL: RewardRequest(budget_only.id, people[1], None, 10, "k13", channel="pigeon"),
    }
    for code, request in cases.items():
        outcome = await issue_reward(admin, request)
        assert (outcome.status, outcome.rejection, outcome.issuance_id) == ("rejected", code, None), (code, outcome)
        assert outcome.message
    wrong_points = await issue_reward(admin, RewardRequest(points.id, people[1], None, 99, "k14"))
    assert wrong_points.rejection is RejectionCode.INVALID_DENOMINATION
    after = (
        await row_count("reward_issuances"),
        await row_count("campaign_grants"),
        await row_count("ledger_transfers"),
        await row_count("audit_events"),
    )
    assert after == before
    assert await counters(points.id) == (1, 100, 0, 0)
    assert await counters(budget_only.id) == (1, 100, 0, 0)
    # A rejection stores no idempotency record: once the cause is fixed, the same key issues.
    await campaigns.activate_campaign(admin, draft.id)
    assert (await issue_reward(admin, RewardRequest(draft.id, people[1], None, 100, "k2"))).status == "issued"


async def test_an_inactive_recipient_is_rejected(admin):
    programme = await make_programme()
    (person,) = await make_people(1)
    await sql.fetch("UPDATE recipients SET status = 'inactive' WHERE id = $1", person)  # no service sets it yet
    campaign = await points_campaign(admin, programme.id)
    outcome = await issue_reward(admin, RewardRequest(campaign.id, person, None, 100, "k"))
    assert outcome.rejection is RejectionCode.RECIPIENT_INACTIVE


async def test_a_replay_returns_the_first_outcome_and_another_payload_is_a_conflict(admin):
    programme = await make_programme()
    people = await make_people(2)
    campaign = await points_campaign(admin, programme.id)
    request = RewardRequest(campaign.id, people[0], None, 300, idempotency_key="order-7", source_event="shop:order:7")
    first = await issue_reward(admin, request)
    again = await issue_reward(admin, request)
    assert (again.status, again.issuance_id, again.replayed, first.replayed) == ("issued", first.issuance_id, True, False)
    with pytest.raises(DomainError) as conflict:
        await issue_reward(admin, RewardRequest(campaign.id, people[1], None, 300, idempotency_key="order-7"))
    assert conflict.value.code == "IDEMPOTENCY_CONFLICT"
    assert (await ledger.balance(SYSTEM, programme.id, people[0])).available == 300
    assert await counters(campaign.id) == (1, 300, 0, 0)
    # Keys are per caller, unless a scope is given: an upload's retry by another admin replays.
    other_admin = api_key_actor("other")
    scoped = await issue_rewards(admin, [RewardRequest(campaign.id, people[1], None, 5, "line-1")], idempotency_scope="upload:42")
    retried = await issue_rewards(
        other_admin,
        [RewardRequest(campaign.id, people[1], None, 5, "line-1"), RewardRequest(campaign.id, people[1], None, 6, "line-1")],
        idempotency_scope="upload:42",
    )
    assert retried[0].replayed and retried[0].issuance_id == scoped[0].issuance_id
    assert (retried[1].status, retried[1].rejection) == ("rejected", RejectionCode.IDEMPOTENCY_CONFLICT)
    with pytest.raises(DomainError) as no_key:
        await issue_reward(admin, RewardRequest(campaign.id, people[0], None, 1, idempotency_key="  "))
    assert no_key.value.code == "IDEMPOTENCY_KEY_INVALID"


async def test_a_batch_decides_each_row_in_order(admin):
    programme = await make_programme()
    people = await make_people(3)
    campaign = await points_campaign(admin, programme.id, max_rewards=2)
    outcomes = await issue_rewards(
        admin, [RewardRequest(campaign.id, person, None, 10, f"row-{i}") for i, person in enumerate(people)]
    )
    assert [o.status for o in outcomes] == ["issued", "issued", "rejected"]
    assert outcomes[2].rejection is RejectionCode.CAP_REACHED


async def test_issuing_needs_rewards_write(admin):
    from campaign_steps import role_actor

    programme = await make_programme()
    (person,) = await make_people(1)
    campaign = await points_campaign(admin, programme.id)
    with pytest.raises(DomainError) as caught:
        await issue_reward(role_actor("viewer"), RewardRequest(campaign.id, person, None, 10, "k"))
    assert caught.value.code == "FORBIDDEN"


async def test_the_dry_run_prices_a_batch_and_writes_nothing(admin, checker):
    programme = await make_programme()
    people = await make_people(3)
    offer = await stocked_live_offer(admin, checker, codes=2)
    campaign = await offers_campaign(admin, programme.id, [offer.id], budget=200000, recipient_max_count=1)
    requests = [
        RewardRequest(campaign.id, people[0], offer.id, 50000, "a"),
        RewardRequest(campaign.id, people[0], offer.id, 50000, "b"),
        RewardRequest(campaign.id, people[1], offer.id, 50000, "c"),
        RewardRequest(campaign.id, people[2], offer.id, 50000, "d"),
        RewardRequest(campaign.id, people[2], offer.id, 777, "e"),
    ]
    before = (await row_count("reward_issuances"), await row_count("audit_events"))
    priced = await price_rewards(admin, campaign.id, requests)
    assert [row.outcome for row in priced.rows] == [
        "issue",
        "RECIPIENT_CAP_REACHED",
        "issue",
        "OUT_OF_STOCK",
        "INVALID_DENOMINATION",
    ]
    assert (priced.would_issue, priced.would_pend, priced.total_value, priced.currency) == (2, 0, 100000, "INR")
    assert (priced.budget, priced.budget_left_before, priced.budget_left_after) == (200000, 200000, 100000)
    assert priced.rejected_by_code == {"RECIPIENT_CAP_REACHED": 1, "OUT_OF_STOCK": 1, "INVALID_DENOMINATION": 1}
    assert (await row_count("reward_issuances"), await row_count("audit_events")) == before
    # What the dry run said is what issuing does.
    actual = await issue_rewards(admin, requests)
    assert [o.status if o.status != "rejected" else o.rejection.value for o in actual] == [
        "issued",
        "RECIPIENT_CAP_REACHED",
        "issued",
        "OUT_OF_STOCK",
        "INVALID_DENOMINATION",
    ]


@pytest.mark.parametrize(
    "caps", [{"recipient_max_count": 2}, {"recipient_max_value": 250}, {"recipient_max_count": 2, "recipient_max_value": 250}]
)
async def test_a_rolling_window_cap_counts_only_the_grants_inside_the_window(admin, caps):
    programme = await make_programme()
    (person, other) = await make_people(2)
    campaign = await points_campaign(admin, programme.id, recipient_window_days=7, **caps)
    for key in ("w-1", "w-2"):
        assert (await issue_reward(admin, RewardRequest(campaign.id, person, None, 100, idempotency_key=key))).status == "issued"
    refused = await issue_reward(admin, RewardRequest(campaign.id, person, None, 100, idempotency_key="w-3"))
    assert (refused.status, refused.rejection) == ("rejected", RejectionCode.RECIPIENT_CAP_REACHED)
    assert "per recipient in 7 days" in refused.message
    # Refused means nothing changed: no credit, no counter, no grant; another recipient still gets theirs.
    assert (await ledger.balance(SYSTEM, programme.id, person)).available == 200
    assert await counters(campaign.id) == (2, 200, 0, 0) and await row_count("campaign_grants") == 2
    assert (await issue_reward(admin, RewardRequest(campaign.id, other, None, 100, idempotency_key="o-1"))).status == "issued"
    # Eight days later the first grant has left the window: one more fits, and then the cap holds again.
    await sql.fetch(
        "UPDATE campaign_grants SET granted_at = $2 WHERE campaign = $1 AND recipient_id = $3 AND granted_at = "
        "(SELECT MIN(granted_at) FROM campaign_grants WHERE campaign = $1 AND recipient_id = $3)",
        campaign.id,
        utcnow() - timedelta(days=8),
        person,
    )
    assert (await issue_reward(admin, RewardRequest(campaign.id, person, None, 100, idempotency_key="w-4"))).status == "issued"
    again = await issue_reward(admin, RewardRequest(campaign.id, person, None, 100, idempotency_key="w-5"))
    assert again.rejection == RejectionCode.RECIPIENT_CAP_REACHED
    assert (await ledger.balance(SYSTEM, programme.id, person)).available == 300


async def test_a_reward_follows_the_campaign_as_it_is_now_though_this_process_read_it_before(admin):
    """Issuing remembers the campaign it read (a read less per reward); an edit, a pause and a
    restart made since are each obeyed by the very next reward."""
    from backend.campaigns.services.campaigns import CampaignInput, last_read_campaign

    programme = await make_programme()
    (person,) = await make_people(1)
    campaign = await points_campaign(admin, programme.id)
    first = await issue_reward(admin, RewardRequest(campaign.id, person, None, 100, idempotency_key="r-1"))
    assert first.status == "issued" and last_read_campaign(campaign.id) is not None
    rules = {
        "programme_id": programme.id,
        "name": campaign.name,
        "reward_type": "points",
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
    }
    await campaigns.update_campaign(admin, campaign.id, CampaignInput(**rules, approval_mode="admin_approval"))
    held = await issue_reward(admin, RewardRequest(campaign.id, person, None, 100, idempotency_key="r-2"))
    assert held.status == "pending_approval"
    await campaigns.update_campaign(admin, campaign.id, CampaignInput(**rules, points_value=50))
    wrong = await issue_reward(admin, RewardRequest(campaign.id, person, None, 100, idempotency_key="r-3"))
    assert wrong.rejection == RejectionCode.INVALID_DENOMINATION and "50 points" in wrong.message
    await campaigns.pause_campaign(admin, campaign.id, "quarter closed early")
    paused = await issue_reward(admin, RewardRequest(campaign.id, person, None, 50, idempotency_key="r-4"))
    assert paused.rejection == RejectionCode.CAMPAIGN_NOT_ACTIVE
    await campaigns.activate_campaign(admin, campaign.id)
    again = await issue_reward(admin, RewardRequest(campaign.id, person, None, 50, idempotency_key="r-5"))
    assert again.status == "issued"
    assert await counters(campaign.id) == (2, 150, 1, 100)
    assert (await ledger.balance(SYSTEM, programme.id, person)).available == 150
