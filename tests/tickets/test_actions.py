"""A points refund from a ticket: a ledger reversal of the redemption, audited; above the
programme's threshold only after a second person approves, exactly once."""

import asyncio

import pytest
from ticket_steps import AGENT, count

from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.ledger import services as ledger
from backend.recipients import service as recipients
from backend.recipients.service import RecipientInput
from backend.tickets.services import actions, desk
from backend.tickets.services.intake import TicketReport, open_ticket

LEAD = Actor(ActorKind.USER, new_id(), "Lee Lead", frozenset({Permission.TICKETS_READ, Permission.TICKETS_WRITE}))


async def _redeemed(admin):
    """A programme, a wallet with 1,000 points and a confirmed 400-point redemption; a ticket about it."""
    programme = await recipients.create_programme(admin, "Points club", "INR", "0.25")
    asha = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="EMP-9", full_name="Asha", email="a@example.com"))
    ).recipient
    await ledger.earn(admin, programme.id, asha.id, 1000, source="campaign")
    held = await ledger.reserve(admin, programme.id, asha.id, 400, source="marketplace")
    confirmed = await ledger.confirm(admin, held.reservation.id)
    ticket = await open_ticket(
        SYSTEM,
        TicketReport(
            category="wrong_value",
            message="charged but no voucher",
            source="console",
            programme_id=programme.id,
            recipient_id=asha.id,
        ),
    )
    return programme, asha, confirmed.transfer.id, ticket.ticket_id


async def test_a_small_refund_runs_at_once(admin):
    programme, asha, redemption, ticket_id = await _redeemed(admin)
    done = await actions.request_points_refund(AGENT, ticket_id, redemption, 150, "voucher never issued")
    assert done.status == "done" and done.result_transfer_id is not None
    assert (await ledger.balance(admin, programme.id, asha.id)).available == 750
    assert await count("audit_events", "WHERE action = 'ticket.points_refunded'") == 1
    with pytest.raises(DomainError) as refused:  # more than is left to reverse: the ledger refuses, nothing recorded
        await actions.request_points_refund(AGENT, ticket_id, redemption, 400, "again")
    assert refused.value.code == "NOT_REVERSIBLE"
    assert await count("ticket_actions") == 1


async def test_above_the_threshold_a_second_person_approves_once(admin):
    programme, asha, redemption, ticket_id = await _redeemed(admin)
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


async def test_bad_requests_change_nothing(admin):
    _, _, redemption, ticket_id = await _redeemed(admin)
    for amount, reason, code in ((0, "x", "INVALID_AMOUNT"), (10, " ", "REASON_REQUIRED")):
        with pytest.raises(DomainError) as refused:
            await actions.request_points_refund(AGENT, ticket_id, redemption, amount, reason)
        assert refused.value.code == code
    with pytest.raises(DomainError) as refused:
        await actions.request_points_refund(AGENT, ticket_id, new_id(), 10, "x")
    assert refused.value.code == "TRANSFER_NOT_FOUND"
    assert await count("ticket_actions") == 0
