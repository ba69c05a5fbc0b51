"""A ticket's points refund in the console: the agent picks one of the recipient's redemptions and
asks for points back (refused inputs change nothing, said under their fields); below the programme's
threshold they are refunded at once, above it the refund waits, in the console's one approval
pattern: its requester sees Approve disabled with the reason and withdraws; a second person approves it."""

from __future__ import annotations

import os
import sys

import pytest
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tickets"))  # ticket_steps

from delivery_console_steps import choose, element  # noqa: E402
from ticket_steps import count, redeemed_ticket  # noqa: E402

import ui.main  # noqa: F401, E402  the console's pages import one another in its order
from backend.core.authz import SYSTEM  # noqa: E402
from backend.ledger import services as ledger  # noqa: E402
from backend.tickets.services import actions, desk, reading  # noqa: E402

PASSWORD = "a long enough password"


@pytest.fixture
async def refund(admin):
    """A confirmed 400-point redemption, a ticket about it, and a 300-point refund the admin asked for."""
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    await desk.set_desk_settings(SYSTEM, programme.id, desk.DeskSettings(approval_above_points=100))
    pending = await actions.request_points_refund(admin, ticket_id, redemption, 300, "voucher never issued")
    return programme, asha, ticket_id, pending


async def _refund_form(user: User, ticket_id, patience) -> None:
    await user.open(f"/tickets/{ticket_id}")
    await user.should_see(marker="refunds-card", retries=patience)
    user.find(marker="refund-points").click()
    await user.should_see(marker="refund-dialog", retries=patience)


async def test_an_agent_refunds_part_of_a_redemption_from_the_ticket(console: User, admin, patience) -> None:
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    held = await ledger.reserve(admin, programme.id, asha.id, 60, source="marketplace", reference="ORD-77")
    small = (await ledger.confirm(admin, held.reservation.id)).transfer.id
    await console.open(f"/tickets/{ticket_id}")
    await console.should_see("No refund on this ticket yet.", retries=patience)
    await _refund_form(console, ticket_id, patience)
    options = element(console, "refund-redemption").options
    assert list(options) == [str(small), str(redemption)]  # newest first, with date, points and reference
    assert options[str(small)].endswith("· 60 points · ORD-77") and options[str(redemption)].endswith(
        "· 400 points · no reference"
    )
    assert element(console, "refund-amount").value == 60  # the redemption's points by default
    choose(console, "refund-redemption", str(redemption))
    assert element(console, "refund-amount").value == 400  # picking another follows it

    # Refused inputs are said under their fields; nothing changes.
    choose(console, "refund-amount", 401)
    choose(console, "refund-reason", "voucher never issued")
    console.find(marker="send-refund").click()
    await console.should_see("Only 400 of the 400 redeemed points can still be refunded", retries=patience)
    choose(console, "refund-amount", 150)
    choose(console, "refund-reason", "  ")
    console.find(marker="send-refund").click()
    await console.should_see("Say why.", retries=patience)
    assert await count("SELECT COUNT(*) FROM ticket_actions") == 0
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 540

    choose(console, "refund-reason", "voucher never issued")
    console.find(marker="send-refund").click()
    await console.should_see("Refunded 150 points to the recipient's points balance.", retries=patience)
    await console.should_see(marker="refund-status", retries=patience)
    await console.should_see("We refunded 150 points to your points balance.", retries=patience)  # the thread
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 690
    (done,) = await actions.ticket_actions(admin, ticket_id)
    assert (done.status, done.amount, done.transfer_id) == ("done", 150, redemption)

    # What is left is what the form offers next.
    await _refund_form(console, ticket_id, patience)
    assert element(console, "refund-redemption").options[str(redemption)].endswith("· 250 points left")
    choose(console, "refund-redemption", str(redemption))
    assert element(console, "refund-amount").value == 250


async def test_above_the_threshold_the_refund_waits_and_a_second_person_moves_the_points(
    admin, user: User, sign_in, create_person, patience
) -> None:
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    await desk.set_desk_settings(SYSTEM, programme.id, desk.DeskSettings(approval_above_points=100))
    await sign_in(path=f"/tickets/{ticket_id}")
    await _refund_form(user, ticket_id, patience)
    await user.should_see("Above 100 points a second person approves it first.", retries=patience)
    choose(user, "refund-amount", 300)
    choose(user, "refund-reason", "voucher never issued")
    user.find(marker="send-refund").click()
    await user.should_see("Refund of 300 points asked: it waits for a second person's approval.", retries=patience)
    await user.should_see("Waiting for a second person", retries=patience)
    assert props_of(user, "approve-refund").get("disable") is True  # not by the one who asked
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 600
    notes = [m.body for m in (await reading.get_ticket(admin, ticket_id)).messages if m.kind == "note"]
    assert notes == [
        "Refund of 300 points asked by admin@example.com: it waits for a second person's approval. Why: voucher never issued"
    ]

    user.find(marker="sign-out").click()
    await user.should_see("You are signed out", retries=patience)
    await create_person("lead@example.com", ["admin"])
    await sign_in("lead@example.com", PASSWORD, path=f"/tickets/{ticket_id}")
    await user.should_see(marker="approve-refund", retries=patience)
    user.find(marker="approve-refund").click()
    await user.should_see(marker="confirm-dialog", retries=patience)
    user.find(marker="confirm-ok").click()
    await user.should_see("Approved: 300 points refunded.", retries=patience)
    await user.should_see("We refunded 300 points to your points balance.", retries=patience)
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 900


def props_of(user: User, marker: str) -> dict:
    return next(iter(user.find(marker=marker).elements)).props


async def test_the_requester_withdraws_and_a_second_person_approves(
    admin, user: User, sign_in, create_person, refund, patience
) -> None:
    programme, asha, ticket_id, pending = refund
    await sign_in(path=f"/tickets/{ticket_id}")
    await user.should_see(marker="refunds-card", retries=patience)
    await user.should_see("You requested this; another admin must approve.")
    assert props_of(user, "approve-refund").get("disable") is True
    await user.should_not_see(marker="reject-refund")
    user.find(marker="withdraw-refund").click()
    await user.should_see("Withdraw the refund of 300 points?", retries=patience)
    user.find(marker="send-refund-decline").click()
    await user.should_see("Withdrew the refund of 300 points: no points moved.", retries=patience)
    await user.should_see("Withdrawn", retries=patience)
    await user.should_not_see(marker="withdraw-refund")
    assert (await actions.ticket_actions(admin, ticket_id))[0].status == "withdrawn"

    again = await actions.request_points_refund(admin, ticket_id, pending.transfer_id, 300, "voucher never issued")
    user.find(marker="sign-out").click()
    await user.should_see("You are signed out", retries=patience)
    await create_person("lead@example.com", ["admin"])
    await sign_in("lead@example.com", PASSWORD, path=f"/tickets/{ticket_id}")
    await user.should_see(marker="approve-refund", retries=patience)
    await user.should_not_see(marker="maker-reason")
    await user.should_not_see(marker="withdraw-refund")
    user.find(marker="approve-refund").click()
    await user.should_see(marker="confirm-dialog", retries=patience)
    user.find(marker="confirm-ok").click()
    await user.should_see("Approved: 300 points refunded.", retries=patience)
    decided = {a.id: a.status for a in await actions.ticket_actions(admin, ticket_id)}
    assert decided[again.id] == "done"
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 900
