"""The Campaigns pages: the list with live counters and filters, the editor (governance settings,
errors under their fields, nothing saved on bad input), status changes, the counters and the
used/left chart, and the campaign's issuances."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import pytest
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # the campaign steps

from campaign_steps import make_people, make_programme, points_campaign

from backend.campaigns.services import campaigns
from backend.core import audit
from backend.core.authz import Actor
from backend.core.clock import utcnow
from backend.rewards.services.issuance import RewardRequest, issue_reward


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


def label_of(user: User, marker: str) -> str:
    return element(user, marker).text


@pytest.fixture
async def programme(admin: Actor):
    return await make_programme("Sales Stars")


async def test_create_a_points_campaign_with_its_governance(console: User, admin, programme, patience) -> None:
    await console.open("/campaigns")
    await console.should_see(marker="campaigns-table", retries=patience)
    console.find(marker="new-campaign").click()
    await console.should_see(marker="campaign-form", retries=patience)
    console.find(marker="campaign-name").type("Q3 sales sprint")
    element(console, "campaign-reward-type").set_value("points")
    element(console, "campaign-points-value").set_value(250)
    element(console, "campaign-approval-mode").set_value("admin_approval")
    element(console, "campaign-max-rewards").set_value(40)
    console.find(marker="campaign-budget").type("10000")
    element(console, "campaign-recipient-count").set_value(3)
    element(console, "campaign-window-days").set_value(30)
    element(console, "campaign-channel").set_value("sms")
    console.find(marker="save-campaign").click()
    await console.should_see("Created the draft campaign Q3 sales sprint: activate it to start issuing.", retries=patience)
    await console.should_see(marker="campaign-counters", retries=patience)

    [campaign] = (await campaigns.list_campaigns(admin)).rows
    assert (campaign.name, campaign.programme_id, campaign.reward_type, campaign.points_value, campaign.currency) == (
        "Q3 sales sprint",
        programme.id,
        "points",
        250,
        None,
    )
    assert (
        campaign.approval_mode,
        campaign.max_rewards,
        campaign.budget,
        campaign.recipient_max_count,
        campaign.recipient_window_days,
        campaign.default_channel,
        campaign.status,
    ) == ("admin_approval", 40, 10_000, 3, 30, "sms", "draft")
    assert label_of(console, "counter-budget-left-value") == "10,000 points"
    assert [entry["action"] for entry in await audit.entity_history(admin, "campaign", campaign.id)] == ["campaign.created"]

    console.find(marker="status-active").click()
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see("Q3 sales sprint is now active.", retries=patience)
    assert (await campaigns.get_campaign(admin, campaign.id)).status == "active"


async def test_bad_input_shows_under_its_field_and_saves_nothing(console: User, admin, programme, patience, eventually) -> None:
    await console.open("/campaigns/new")
    await console.should_see(marker="campaign-form", retries=patience)
    console.find(marker="campaign-name").type("Backwards")
    element(console, "campaign-reward-type").set_value("points")
    start = utcnow() + timedelta(days=10)
    element(console, "campaign-starts").set_value(start.strftime("%Y-%m-%d %H:%M"))
    element(console, "campaign-ends").set_value((start - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    element(console, "campaign-window-days").set_value(30)  # a window without a cap
    console.find(marker="save-campaign").click()
    await console.should_see(marker="campaign-form", retries=patience)
    ends, window = element(console, "campaign-ends"), element(console, "campaign-window-days")
    await eventually(lambda: ends.error is not None and window.error is not None)
    assert ends.error == "A campaign ends after it starts."
    assert window.error == "A rolling window needs a per-recipient count or value cap."

    element(console, "campaign-starts").set_value("next tuesday")
    console.find(marker="save-campaign").click()
    await eventually(lambda: element(console, "campaign-starts").error is not None)
    assert element(console, "campaign-starts").error == "Write it as YYYY-MM-DD HH:MM (UTC)."
    assert (await campaigns.list_campaigns(admin)).total == 0


async def test_an_offers_budget_reads_in_the_decimals_of_the_chosen_currency(console: User, admin, programme, patience) -> None:
    await console.open("/campaigns/new")
    await console.should_see(marker="campaign-form", retries=patience)
    element(console, "campaign-reward-type").set_value("offers")
    await console.should_see("Amounts in INR: 500 is ₹500.00.", retries=patience)
    currency = element(console, "campaign-currency")
    assert "JPY" in currency.options and "XAU" not in currency.options  # gold has no minor unit
    currency.set_value("JPY")
    await console.should_see("Amounts in JPY: 500 is ¥500.", retries=patience)


async def test_the_campaign_shows_its_counters_chart_and_issuances(
    console: User, admin, programme, patience, table, eventually
) -> None:
    people = await make_people(3)
    campaign = await points_campaign(admin, programme.id, name="Spot awards", budget=1_000, max_rewards=10)
    for number, person in enumerate(people):
        outcome = await issue_reward(
            admin,
            RewardRequest(campaign.id, person, None, 150, idempotency_key=f"spot-{number}", source_event=f"hr:spot:{number}"),
        )
        assert outcome.status == "issued"
    await console.open(f"/campaigns/{campaign.id}")
    await console.should_see(marker="campaign-counters", retries=patience)
    assert label_of(console, "counter-issued-value") == "3"
    assert label_of(console, "counter-budget-left-value") == "550 points"
    assert label_of(console, "counter-count-left-value") == "7"
    chart = element(console, "campaign-usage-chart")
    assert chart.options["yAxis"]["data"] == ["Budget", "Rewards"]
    issued, _held, left = chart.options["series"]
    assert [point["value"] for point in issued["data"]] == [45.0, 30.0]
    assert [point["label"]["formatter"] for point in left["data"]] == ["550 points", "7"]

    issuances = table(console, "campaign-issuances")
    await eventually(lambda: issuances.pagination["rowsNumber"] == 3)
    assert {row["source_event"] for row in issuances.rows} == {"hr:spot:0", "hr:spot:1", "hr:spot:2"}
    assert {(row["value"], row["status"]) for row in issuances.rows} == {("150 points", "Issued")}
    assert issuances.rows[0]["recipient"].startswith("Person EMP ")

    # The recipient's page lists their rewards beside their HR attributes.
    await console.open(f"/recipients/{people[0]}")
    await console.should_see(marker="recipient-rewards-table", retries=patience)  # below the wallets
    rewards = table(console, "recipient-rewards-table")
    await eventually(lambda: len(rewards.rows) == 1)
    [reward] = rewards.rows
    assert (reward["campaign"], reward["value"], reward["status"], reward["source_event"]) == (
        "Spot awards",
        "150 points",
        "Issued",
        "hr:spot:0",
    )
    assert reward["href"] == f"/campaigns/{campaign.id}"


async def test_a_budget_below_what_is_spent_is_refused(console: User, admin, programme, patience, eventually) -> None:
    (person,) = await make_people(1)
    campaign = await points_campaign(admin, programme.id, name="Spot awards", budget=1_000)
    await issue_reward(admin, RewardRequest(campaign.id, person, None, 600, idempotency_key="spot-1"))
    await console.open(f"/campaigns/{campaign.id}")
    await console.should_see(marker="campaign-form", retries=patience)
    budget = element(console, "campaign-budget")
    assert budget.value == "1000"
    assert budget.props.get("readonly") is True  # a campaign opens read-only
    console.find(marker="edit").click()
    await eventually(lambda: not budget.props.get("readonly"))
    budget.set_value("500")
    console.find(marker="save-campaign").click()
    await eventually(lambda: budget.error is not None)
    assert budget.error == "600 points is already spent or held."
    assert (await campaigns.get_campaign(admin, campaign.id)).budget == 1_000


async def test_the_list_filters_by_status_and_links_to_the_editor(console: User, admin, programme, table, eventually) -> None:
    await points_campaign(admin, programme.id, name="Live one")
    await points_campaign(admin, programme.id, name="Draft one", activate=False)
    await console.open("/campaigns")
    listed = table(console, "campaigns-table")
    await eventually(lambda: listed.pagination["rowsNumber"] == 2)
    element(console, "filter-status").set_value("draft")
    await eventually(lambda: [row["name"] for row in listed.rows] == ["Draft one"])
    [draft] = listed.rows
    assert (draft["status"], draft["programme"], draft["reward_type"], draft["remaining_budget"]) == (
        "Draft",
        "Sales Stars",
        "Points",
        "no limit",
    )
    assert draft["href"].startswith("/campaigns/")


async def test_a_viewer_reads_campaigns_but_cannot_change_them(
    user: User, admin, sign_in, create_person, programme, patience
) -> None:
    campaign = await points_campaign(admin, programme.id, name="Read only")
    await create_person("viewer@example.com", ["viewer"])
    await sign_in("viewer@example.com", "a long enough password", path=f"/campaigns/{campaign.id}")
    await user.should_see(marker="campaign-counters", retries=patience)
    await user.should_not_see(marker="save-campaign")
    await user.should_not_see(marker="edit")
    await user.should_see("Read only: changing a campaign needs the permission “campaigns:write”.")
    # Nothing to type into: every field is read-only (radios and checkboxes disabled).
    for marker in ("campaign-name", "campaign-budget", "campaign-description", "campaign-points-value"):
        assert element(user, marker).props.get("readonly") is True, marker
    assert element(user, "campaign-approval-mode").props.get("disable") is True
    await user.should_not_see(marker="status-paused")
    await user.open("/issuance-approvals")
    await user.should_see(marker="permission-needed", retries=patience)
