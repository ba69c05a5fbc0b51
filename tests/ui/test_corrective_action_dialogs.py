"""The corrective-action dialogs on a partner's page: each one, filled in as an admin would, does
its action (recorded, with the review it was opened from when there is one)."""

from __future__ import annotations

import os
import sys

from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign and catalogue steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "insight_actions"))  # the action steps

from action_steps import scene
from campaign_steps import role_actor

from backend.catalog.services import eligibility, offers
from backend.core.authz import Actor
from backend.deliveries.services import announcements
from backend.insights.actions.services import records

PATIENCE = 50


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


async def open_action(console: User, partner_id, marker: str, dialog: str) -> None:
    await console.open(f"/partners/{partner_id}")
    await console.should_see(marker="corrective-actions", retries=PATIENCE)
    console.find(marker="corrective-actions").click()
    console.find(marker=marker).click()
    await console.should_see(marker=dialog, retries=PATIENCE)


async def test_a_promotional_push_is_previewed_then_sent(console: User, admin: Actor, eventually) -> None:
    s = await scene(admin, role_actor("admin", "checker@example.com"))
    await open_action(console, s.new_partner.id, "action-promotion", "promotion-dialog")
    assert element(console, "promotion-send").enabled is False  # nothing is sent before a preview
    element(console, "eligibility-rule").set_value('business_unit == "Retail"')
    console.find(marker="promotion-preview").click()
    await console.should_see("3 of 5 active recipients will receive it.", retries=PATIENCE)
    console.find(marker="promotion-send").click()
    await console.should_see("Promotional push to 3 recipient(s)", retries=PATIENCE)
    (action,) = await records.list_actions(admin, kind="promotion")
    assert action.partner_id == s.new_partner.id and action.request["offer_id"] == str(s.new_offer.id)
    sent = await announcements.get_announcement(admin, action.announcement_id)
    assert (sent.total, sent.status) == (3, "sending")  # the worker sends it
    await announcements.send_batch(sent.id)
    await console.open(f"/partners/{s.new_partner.id}")
    await console.should_see("sent to 3 of 3", retries=PATIENCE)


async def test_segment_routing_refresh_and_rerank_from_the_partner_page(console: User, admin: Actor) -> None:
    s = await scene(admin, role_actor("admin", "checker@example.com"))

    await open_action(console, s.old_partner.id, "action-routing", "routing-dialog")
    element(console, "eligibility-rule").set_value("country in [IN]")
    element(console, "routing-adjustment").set_value(-40)
    console.find(marker="routing-save").click()
    await console.should_see("1 offer(s) pushed down for country in [IN] (-40)", retries=PATIENCE)
    ordered = await eligibility.eligible_offers(admin, s.people[0])
    assert ordered[-1].id == s.old_offer.id

    await open_action(console, s.old_partner.id, "action-refresh", "refresh-dialog")
    element(console, "refresh-title").set_value("Slow Coffee: 2 for 1")
    console.find(marker="refresh-save").click()
    await console.should_see("Refreshed 'Slow Coffee: 2 for 1': title", retries=PATIENCE)
    assert (await offers.get_offer(admin, s.old_offer.id)).title == "Slow Coffee: 2 for 1"

    await open_action(console, s.old_partner.id, "action-rerank", "rerank-dialog")
    console.find(marker="rerank-down-0").click()
    console.find(marker="rerank-save").click()
    await console.should_see("Re-ranked", retries=PATIENCE)
    kinds = [action.kind for action in await records.list_actions(admin, partner_id=s.old_partner.id)]
    assert kinds == ["rerank", "refresh_listing", "segment_routing"]
    await console.open(f"/partners/{s.old_partner.id}")  # the partner's page lists them
    await console.should_see(marker="corrective-history", retries=PATIENCE)
    assert len(console.find(marker="corrective-history-item").elements) == 3


async def test_the_maker_of_a_replacement_sees_approve_disabled_and_withdraws_it(console: User, admin: Actor) -> None:
    """The one approval pattern: the requester is not left with nothing to do (nor offered Reject)."""
    from backend.core import audit
    from backend.insights.actions.services import replacement

    s = await scene(admin, role_actor("admin", "checker@example.com"))
    requested = await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    await open_action(console, s.old_partner.id, "action-replace", "replacement-pending")
    assert element(console, "approve-replacement").props.get("disable") is True
    await console.should_see("You requested this replacement; a second admin approves or rejects it.")
    await console.should_not_see(marker="reject-replacement")
    console.find(marker="withdraw-replacement").click()
    await console.should_see(f"Withdrew the request to replace {s.old_partner.name}: nothing changed.", retries=PATIENCE)
    assert (await records.load(requested.id)).status == "rejected"
    history = [row["action"] for row in await audit.entity_history(admin, "insight_action", requested.id)]
    assert "insight_action.partner_replacement_withdrawn" in history
