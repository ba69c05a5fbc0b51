"""A points refund from a ticket: a ledger reversal of the redemption, audited; above the
programme's threshold only after a second person approves, exactly once."""

import asyncio

import pytest
from ticket_steps import AGENT, count, redeemed_ticket

from backend.core import sql
from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.ledger import services as ledger
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from backend.tickets.services import actions, desk
from backend.tickets.services.intake import TicketReport, open_ticket

LEAD = Actor(ActorKind.USER, new_id(), "Lee Lead", frozenset({Permission.TICKETS_READ, Permission.TICKETS_WRITE}))


async def test_a_small_refund_runs_at_once(admin):
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    done = await actions.request_points_refund(AGENT, ticket_id, redemption, 150, "voucher never issued")
    assert done.status == "done" and done.result_transfer_id is not None
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 750
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.points_refunded'") == 1
    with pytest.raises(DomainError) as refused:  # more than is left of it: refused on the field, nothing recorded
        await actions.request_points_refund(AGENT, ticket_id, redemption, 400, "again")
    assert (refused.value.code, refused.value.errors[0].field) == ("OVER_REFUNDABLE", "points")
    assert "only 250 of the 400 redeemed points" in refused.value.errors[0].message
    assert await count("SELECT COUNT(*) FROM ticket_actions") == 1
    rest = await actions.request_points_refund(AGENT, ticket_id, redemption, 250, "the rest")
    assert rest.status == "done" and (await ledger.balance(admin, programme.id, asha.id)).available == 1000
    with pytest.raises(DomainError) as refused:
        await actions.request_points_refund(AGENT, ticket_id, redemption, 1, "once more")
    assert (refused.value.code, refused.value.errors[0].field) == ("ALREADY_REFUNDED", "transfer_id")
    assert await actions.refundable_redemptions(AGENT, ticket_id) == []
    thread = [m["body"] for m in await sql.fetch("SELECT body FROM ticket_messages WHERE kind = 'agent' ORDER BY id")]
    assert thread == ["We refunded 150 points to your points balance.", "We refunded 250 points to your points balance."]


async def test_above_the_threshold_a_second_person_approves_once(admin):
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    await desk.set_desk_settings(SYSTEM, programme.id, desk.DeskSettings(approval_above_points=100))
    pending = await actions.request_points_refund(AGENT, ticket_id, redemption, 300, "voucher never issued")
    assert pending.status == "pending_approval"
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 600  # nothing yet
    with pytest.raises(DomainError) as refused:
        await actions.approve_action(AGENT, pending.id)
    assert refused.value.code == "SELF_APPROVAL"
    second = Actor(ActorKind.USER, new_id(), "Kim Second", LEAD.permissions)
    outcomes = await asyncio.gather(
        actions.approve_action(LEAD, pending.id), actions.approve_action(second, pending.id), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ActionView", "DomainError"]
    assert [o.code for o in outcomes if isinstance(o, DomainError)] == ["NOT_PENDING"]
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 900  # refunded once
    (action,) = await actions.ticket_actions(AGENT, ticket_id)
    assert action.status == "done" and action.decided_by_label in ("Lee Lead", "Kim Second")
    assert await count("SELECT COUNT(*) FROM ticket_messages WHERE body = 'We refunded 300 points to your points balance.'") == 1


async def test_bad_requests_change_nothing(admin):
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    earned = (await ledger.earn(admin, programme.id, asha.id, 50, source="campaign")).transfer.id
    held = (await ledger.reserve(admin, programme.id, asha.id, 20, source="marketplace")).reservation.id
    # Another recipient's redemption in the same programme is not this ticket's to refund.
    ravi = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="EMP-7", full_name="Ravi", email="r@example.com"))
    ).recipient
    await ledger.earn(admin, programme.id, ravi.id, 100, source="campaign")
    theirs = await ledger.confirm(
        admin, (await ledger.reserve(admin, programme.id, ravi.id, 80, source="marketplace")).reservation.id
    )
    no_one = await open_ticket(
        SYSTEM, TicketReport(category="other", message="a call", source="console", programme_id=programme.id)
    )
    cases = (
        (ticket_id, redemption, 0, "x", "INVALID_AMOUNT", "points"),
        (ticket_id, redemption, True, "x", "INVALID_AMOUNT", "points"),
        (ticket_id, redemption, 10.0, "x", "INVALID_AMOUNT", "points"),
        (ticket_id, redemption, 10, " ", "REASON_REQUIRED", "reason"),
        (ticket_id, redemption, 10, "bad\x00reason", "INVALID_CHARACTERS", "reason"),
        (new_id(), redemption, 10, "x", "NOT_FOUND", "ticket_id"),
        (ticket_id, new_id(), 10, "x", "NOT_FOUND", "transfer_id"),
        (ticket_id, theirs.transfer.id, 10, "x", "NOT_FOUND", "transfer_id"),
        (ticket_id, earned, 10, "x", "NOT_A_REDEMPTION", "transfer_id"),
        (ticket_id, held, 10, "x", "NOT_A_REDEMPTION", "transfer_id"),
        (ticket_id, redemption, 401, "x", "OVER_REFUNDABLE", "points"),
        (no_one.ticket_id, redemption, 10, "x", "NO_RECIPIENT", "ticket_id"),
    )
    before = (await ledger.balance(admin, programme.id, asha.id)).available
    for ticket, transfer, amount, reason, code, field in cases:
        with pytest.raises(DomainError) as refused:
            await actions.request_points_refund(AGENT, ticket, transfer, amount, reason)
        assert (refused.value.code, refused.value.errors[0].field) == (code, field), (amount, reason)
    assert await count("SELECT COUNT(*) FROM ticket_actions") == 0
    assert await count("SELECT COUNT(*) FROM ticket_messages") == 2  # the two reports, nothing else
    assert (
        await count("SELECT COUNT(*) FROM audit_events WHERE action IN ('ticket.action_requested', 'ticket.points_refunded')")
        == 0
    )
    assert (await ledger.balance(admin, programme.id, asha.id)).available == before
    # The reservation's own id names the redemption as well as its confirming transfer.
    reservation = (await actions.refundable_redemptions(AGENT, ticket_id))[0].reservation_id
    done = await actions.request_points_refund(AGENT, ticket_id, reservation, 10, "by the reservation")
    assert done.transfer_id == redemption


async def test_the_redemptions_to_pick_from_count_what_waits_for_approval(admin):
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    await ledger.earn(admin, programme.id, asha.id, 500, source="campaign")
    small = await ledger.confirm(
        admin, (await ledger.reserve(admin, programme.id, asha.id, 60, source="marketplace", reference="ORD-2")).reservation.id
    )
    (newest, oldest) = await actions.refundable_redemptions(AGENT, ticket_id)
    assert (newest.transfer_id, newest.points, newest.reference, newest.refundable) == (small.transfer.id, 60, "ORD-2", 60)
    assert (oldest.transfer_id, oldest.points, oldest.refundable) == (redemption, 400, 400)
    await desk.set_desk_settings(SYSTEM, programme.id, desk.DeskSettings(approval_above_points=100))
    pending = await actions.request_points_refund(AGENT, ticket_id, redemption, 300, "voucher never issued")
    (_, oldest) = await actions.refundable_redemptions(AGENT, ticket_id)
    assert (oldest.awaiting_approval, oldest.refundable) == (300, 100)
    with pytest.raises(DomainError) as refused:  # the 300 waiting count: only 100 may still be asked for
        await actions.request_points_refund(AGENT, ticket_id, redemption, 150, "more")
    assert refused.value.code == "OVER_REFUNDABLE" and "300 waiting for approval" in refused.value.errors[0].message
    await actions.request_points_refund(AGENT, ticket_id, redemption, 100, "the rest")  # at the threshold: at once
    assert [r.transfer_id for r in await actions.refundable_redemptions(AGENT, ticket_id)] == [small.transfer.id]
    with pytest.raises(DomainError) as refused:
        await actions.request_points_refund(AGENT, ticket_id, redemption, 1, "again")
    assert refused.value.code == "ALREADY_REFUNDED" and "waits for a second person" in refused.value.errors[0].message
    await actions.reject_action(LEAD, pending.id, "not ours to refund")
    assert [r.refundable for r in await actions.refundable_redemptions(AGENT, ticket_id)] == [60, 300]
    notes = [m["body"] for m in await sql.fetch("SELECT body FROM ticket_messages WHERE kind = 'note' ORDER BY id")]
    assert notes == [
        "Refund of 300 points asked by Sam Support: it waits for a second person's approval. Why: voucher never issued",
        "Refund of 300 points rejected by Lee Lead: not ours to refund",
    ]


async def test_a_replayed_request_refunds_once(admin):
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    first = await actions.request_points_refund(AGENT, ticket_id, redemption, 100, "no voucher", idempotency_key="r-1")
    again = await actions.request_points_refund(AGENT, ticket_id, redemption, 100, "no voucher", idempotency_key="r-1")
    assert again == first and await count("SELECT COUNT(*) FROM ticket_actions") == 1
    with pytest.raises(DomainError) as refused:
        await actions.request_points_refund(AGENT, ticket_id, redemption, 120, "no voucher", idempotency_key="r-1")
    assert refused.value.code == "IDEMPOTENCY_CONFLICT"
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 700


async def test_two_requests_at_once_never_ask_for_more_than_is_left(admin):
    programme, _, redemption, ticket_id = await redeemed_ticket(admin)
    await desk.set_desk_settings(SYSTEM, programme.id, desk.DeskSettings(approval_above_points=100))
    outcomes = await asyncio.gather(
        *(actions.request_points_refund(AGENT, ticket_id, redemption, 300, f"ask {n}") for n in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ActionView", "DomainError"]
    assert [o.code for o in outcomes if isinstance(o, DomainError)] == ["OVER_REFUNDABLE"]
    assert await count("SELECT COUNT(*) FROM ticket_actions") == 1


async def test_the_requester_withdraws_a_pending_refund_and_nothing_moves(admin):
    programme, asha, redemption, ticket_id = await redeemed_ticket(admin)
    await desk.set_desk_settings(SYSTEM, programme.id, desk.DeskSettings(approval_above_points=100))
    pending = await actions.request_points_refund(AGENT, ticket_id, redemption, 300, "voucher never issued")
    with pytest.raises(DomainError) as refused:  # a checker rejects; only the requester withdraws
        await actions.withdraw_action(LEAD, pending.id)
    assert refused.value.code == "NOT_REQUESTER"
    withdrawn = await actions.withdraw_action(AGENT, pending.id, "asked the wrong amount")
    assert (withdrawn.status, withdrawn.requested_by_id) == ("withdrawn", AGENT.id)
    with pytest.raises(DomainError) as refused:  # decided once: a late approval changes nothing
        await actions.approve_action(LEAD, pending.id)
    assert refused.value.code == "NOT_PENDING"
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 600
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.action_withdrawn'") == 1
