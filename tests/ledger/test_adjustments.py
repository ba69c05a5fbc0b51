"""Manual adjustments with maker-checker, and points expiry."""

from __future__ import annotations

import asyncio

import pytest

from backend.core.authz import SYSTEM
from backend.core.errors import DomainError
from backend.core.tables import AuditEvent
from backend.ledger import services as ledger
from backend.ledger.kinds import AdjustmentStatus, Source, TransferKind
from backend.ledger.tables import LedgerTransfer
from backend.ledger.verify import verify


async def refusal(call) -> str:
    with pytest.raises(DomainError) as refused:
        await call
    return refused.value.code


async def test_a_second_person_approves_a_credit(programme, finance):
    maker, checker = finance
    p, r = programme.programme_id, programme.recipient_ids[0]
    asked = await ledger.request_adjustment(maker, p, r, "credit", 500, "goodwill for a late delivery")
    assert asked.status is AdjustmentStatus.PENDING and asked.requested_by_label == "maker@example.com"
    assert (await ledger.balance(SYSTEM, p, r)).available == 0  # nothing moves before approval
    approved = await ledger.approve_adjustment(checker, asked.id, "checked the ticket")
    assert approved.status is AdjustmentStatus.APPROVED and approved.decided_by_label == "checker@example.com"
    transfer = await ledger.get_transfer(SYSTEM, approved.transfer_id)
    assert (transfer.kind, transfer.source, transfer.amount, transfer.actor_label) == (
        TransferKind.ADJUST,
        Source.ADMIN,
        500,
        "checker@example.com",
    )
    assert transfer.reason == "goodwill for a late delivery"
    assert (await ledger.balance(SYSTEM, p, r)).available == 500
    assert (await verify()).ok
    actions = {row["action"] for row in await AuditEvent.select(AuditEvent.action)}
    assert {"ledger.adjustment_requested", "ledger.adjustment_approved", "points.adjusted"} <= actions


async def test_the_requester_cannot_approve_their_own_request(programme, finance):
    maker, checker = finance
    asked = await ledger.request_adjustment(maker, programme.programme_id, programme.recipient_ids[0], "credit", 5, "typo fix")
    assert await refusal(ledger.approve_adjustment(maker, asked.id)) == "SAME_APPROVER"
    assert (await ledger.get_adjustment(maker, asked.id)).status is AdjustmentStatus.PENDING
    # The maker's step is to withdraw, not to reject; a checker rejects, never withdraws.
    assert await refusal(ledger.reject_adjustment(maker, asked.id, "asked twice")) == "SAME_APPROVER"
    assert await refusal(ledger.withdraw_adjustment(checker, asked.id, "not mine")) == "NOT_REQUESTER"
    assert (await ledger.get_adjustment(maker, asked.id)).status is AdjustmentStatus.PENDING
    withdrawn = await ledger.withdraw_adjustment(maker, asked.id, "asked twice")
    assert withdrawn.status is AdjustmentStatus.REJECTED and withdrawn.transfer_id is None
    actions = {row["action"] for row in await AuditEvent.select(AuditEvent.action)}
    assert "ledger.adjustment_withdrawn" in actions and "ledger.adjustment_rejected" not in actions


async def test_a_debit_beyond_the_balance_is_refused_when_asked_with_the_balance(programme, finance):
    maker, _ = finance
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 100)
    with pytest.raises(DomainError) as refused:
        await ledger.request_adjustment(maker, p, r, "debit", 101, "clawback")
    error = refused.value.errors[0]
    assert (error.code, error.field) == ("INSUFFICIENT_POINTS", "amount")
    assert error.message == "the wallet holds 100 points available: a debit of 101 would overdraw it"
    assert (await ledger.list_adjustments(maker, programme_id=p, recipient_id=r)).adjustments == []  # nothing asked


async def test_a_debit_cannot_overdraw_and_the_request_stays_pending(programme, finance):
    maker, checker = finance
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 100)
    asked = await ledger.request_adjustment(maker, p, r, "debit", 100, "clawback")
    spent = await ledger.request_adjustment(maker, p, r, "debit", 1, "a point spent meanwhile")
    await ledger.approve_adjustment(checker, spent.id)
    assert await refusal(ledger.approve_adjustment(checker, asked.id)) == "INSUFFICIENT_POINTS"
    assert (await ledger.get_adjustment(checker, asked.id)).status is AdjustmentStatus.PENDING
    await ledger.earn(SYSTEM, p, r, 1)
    await ledger.approve_adjustment(checker, asked.id)
    assert (await ledger.balance(SYSTEM, p, r)).available == 0
    assert (await verify()).ok


async def test_a_request_is_decided_once(programme, finance):
    maker, checker = finance
    asked = await ledger.request_adjustment(maker, programme.programme_id, programme.recipient_ids[0], "credit", 5, "bonus")
    outcomes = await asyncio.gather(*(ledger.approve_adjustment(checker, asked.id) for _ in range(3)), return_exceptions=True)
    assert sum(not isinstance(outcome, Exception) for outcome in outcomes) == 1
    assert {outcome.code for outcome in outcomes if isinstance(outcome, Exception)} == {"ADJUSTMENT_NOT_PENDING"}
    assert await refusal(ledger.reject_adjustment(checker, asked.id)) == "ADJUSTMENT_NOT_PENDING"
    assert await LedgerTransfer.count().where(LedgerTransfer.kind == "adjust") == 1
    assert (await ledger.balance(SYSTEM, programme.programme_id, programme.recipient_ids[0])).available == 5


async def test_a_request_needs_a_reason_a_direction_and_the_adjust_permission(programme, finance, admin):
    from backend.access import services as access

    maker, _ = finance
    p, r = programme.programme_id, programme.recipient_ids[0]
    assert await refusal(ledger.request_adjustment(maker, p, r, "credit", 5, "  ")) == "REASON_REQUIRED"
    assert await refusal(ledger.request_adjustment(maker, p, r, "sideways", 5, "why")) == "DIRECTION_INVALID"
    support = access.actor_for_user(
        await access.create_user(admin, "agent@example.com", "Agent", "correct horse battery", ["support_agent"])
    )
    assert await refusal(ledger.request_adjustment(support, p, r, "credit", 5, "please")) == "FORBIDDEN"


async def test_the_queue_lists_pending_requests_newest_first(programme, finance):
    maker, checker = finance
    p, r = programme.programme_id, programme.recipient_ids[0]
    made = [await ledger.request_adjustment(maker, p, r, "credit", amount, f"fix {amount}") for amount in (1, 2, 3)]
    await ledger.reject_adjustment(checker, made[1].id, "no")
    pending = await ledger.list_adjustments(checker, status="pending")
    assert [a.id for a in pending.adjustments] == [made[2].id, made[0].id]
    first = await ledger.list_adjustments(checker, programme_id=p, limit=2)
    rest = await ledger.list_adjustments(checker, programme_id=p, after=first.next_cursor, limit=2)
    assert [a.id for a in first.adjustments + rest.adjustments] == [made[2].id, made[1].id, made[0].id]
    assert rest.next_cursor is None


async def test_points_expire_to_the_expiry_account_never_below_zero(programme, finance):
    maker, _ = finance
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 100)
    await ledger.reserve(SYSTEM, p, r, 30)
    assert await refusal(ledger.expire_points(maker, p, r, 71, reason="12-month expiry")) == "INSUFFICIENT_POINTS"
    change = await ledger.expire_points(maker, p, r, 70, reason="12-month expiry")
    assert change.transfer.kind is TransferKind.EXPIRE and (change.balance.available, change.balance.pending) == (0, 30)
    assert await refusal(ledger.expire_points(SYSTEM, p, r, 1, reason="")) == "REASON_REQUIRED"
    assert (await verify()).ok
