"""The home as an inbox: what waits for this person (approvals they may give, their refused requests)
and for anyone (low stock), each a link to where it is acted on, counted on the menu, refreshed live."""

from __future__ import annotations

import os
import sys

import pytest
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue's and partners' steps

from catalogue_steps import offer_input, onboard_to_live

from backend.access import services as access
from backend.catalog.services import offers
from backend.ledger.services import adjustments
from backend.partners.services import go_live
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from ui import inbox

PASSWORD = "a long enough password"


def text_of(user: User, marker: str) -> str:
    """The badge's text, or "" while it is hidden (nothing counted yet)."""
    try:
        return next(iter(user.find(marker=marker).elements)).text
    except AssertionError:
        return ""


@pytest.fixture
def fast_refresh(monkeypatch) -> None:
    monkeypatch.setattr(inbox, "REFRESH_SECONDS", 0.2)


async def test_a_pending_go_live_waits_for_the_other_admin_not_the_requester(
    admin, user: User, sign_in, patience, table, eventually
) -> None:
    maker = access.actor_for_user(await access.create_user(admin, "maya@example.com", "Maya Maker", PASSWORD, ["admin"]))
    partner, _ = await onboard_to_live(maker, None, name="Chai Point")
    await sign_in()
    await user.should_see(marker="inbox-go-live", retries=patience)
    link = next(iter(user.find(marker="inbox-go-live").elements))
    assert link.props["href"] == f"/partners/{partner.id}"
    await user.should_see("1 partner awaits your go-live decision")
    await eventually(lambda: text_of(user, "badge-partners") == "1", seconds=15)
    assert next(iter(user.find(marker="badge-partners").elements)).visible
    # The partners list no longer claims the partner is ready while the request is pending.
    await user.open("/partners")
    listed = table(user, "partners-table")
    await eventually(lambda: listed.pagination["rowsNumber"] == 1, seconds=15)
    assert listed.rows[0]["stage"] == "Go-live requested"


async def test_the_requester_sees_no_decision_of_their_own_but_their_refusal(admin, user: User, sign_in, patience) -> None:
    maker_user = await access.create_user(admin, "maya@example.com", "Maya Maker", PASSWORD, ["admin"])
    maker = access.actor_for_user(maker_user)
    partner, _ = await onboard_to_live(maker, None, name="Chai Point")
    await sign_in("maya@example.com", PASSWORD)
    await user.should_see(marker="inbox-empty", retries=patience)
    await user.should_not_see(marker="inbox-go-live")
    await go_live.reject_go_live(admin, partner.id, "the terms still name the old brand")
    await user.open("/")
    await user.should_see(marker="inbox-go-live-refused", retries=patience)
    await user.should_see("1 go-live request of yours refused")


async def test_ledger_approvals_and_low_stock_appear_and_leave_live(
    admin, user: User, sign_in, patience, fast_refresh, eventually
) -> None:
    checker = access.actor_for_user(await access.create_user(admin, "cleo@example.com", "Cleo Checker", PASSWORD, ["admin"]))
    _, offer = await onboard_to_live(admin, checker, name="Metro Books", codes=2)
    await offers.update_offer(admin, offer.id, offer_input(title=offer.title, low_stock_threshold=3))
    await offers.change_offer_status(admin, offer.id, "live")
    programme = await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    asha = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="A", full_name="Asha", email="a@example.com"))
    ).recipient
    await sign_in()
    await user.should_see(marker="inbox-low-stock", retries=patience)
    await user.should_see("1 offer is low on stock")
    await user.should_not_see(marker="inbox-ledger-approvals")
    # Another admin asks for an adjustment while the page is open: it arrives without a reload.
    requested = await adjustments.request_adjustment(checker, programme.id, asha.id, "credit", 500, "missed bonus")
    await user.should_see(marker="inbox-ledger-approvals", retries=patience)
    await user.should_see("1 points adjustment awaits your approval")
    await eventually(lambda: text_of(user, "badge-approvals") == "1", seconds=15)
    await eventually(lambda: text_of(user, "badge-home") == "2", seconds=15)
    # Decided elsewhere: it leaves the inbox and the badge, live.
    await adjustments.reject_adjustment(admin, requested.id, "no such bonus")
    await user.should_not_see(marker="inbox-ledger-approvals", retries=patience)
    await user.should_not_see(marker="badge-approvals", retries=patience)  # hidden once nothing waits


async def test_a_withdrawn_adjustment_is_not_called_refused(admin, user: User, sign_in, patience) -> None:
    """The maker withdrew one request and another admin rejected the other: only the rejection is theirs to read."""
    maker = access.actor_for_user(await access.create_user(admin, "maya@example.com", "Maya Maker", PASSWORD, ["admin"]))
    programme = await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    asha = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="A", full_name="Asha", email="a@example.com"))
    ).recipient
    taken_back = await adjustments.request_adjustment(maker, programme.id, asha.id, "credit", 100, "asked twice")
    turned_down = await adjustments.request_adjustment(maker, programme.id, asha.id, "credit", 500, "missed bonus")
    await adjustments.withdraw_adjustment(maker, taken_back.id, "asked twice")
    await adjustments.reject_adjustment(admin, turned_down.id, "no such bonus")
    await sign_in("maya@example.com", PASSWORD)
    await user.should_see(marker="inbox-ledger-refused", retries=patience)
    await user.should_see("1 points adjustment of yours refused")
