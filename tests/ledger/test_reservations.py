"""Earning, reserving, confirming, releasing and expiring points: the rules and their errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.core.tables import AuditEvent, OutboxEvent
from backend.ledger import services as ledger
from backend.ledger.kinds import Phase, ReservationStatus, TransferKind
from backend.ledger.tables import LedgerAccount, LedgerReservation, LedgerTransfer
from backend.ledger.verify import verify


async def refusal(call) -> str:
    with pytest.raises(DomainError) as refused:
        await call
    return refused.value.code


async def funded(programme, points: int = 1000, recipient: int = 0):
    return await ledger.earn(SYSTEM, programme.programme_id, programme.recipient_ids[recipient], points, source="campaign")


async def test_earning_opens_the_wallet_and_credits_it_from_funding(programme):
    change = await funded(programme, 250)
    assert (change.balance.available, change.balance.pending, change.balance.posted) == (250, 0, 250)
    assert change.balance.recipient_external_id == "Loyalty-R0"
    assert change.transfer.kind is TransferKind.EARN and change.transfer.phase is Phase.SINGLE
    assert change.transfer.credit_account_id == change.balance.wallet_id
    funding = await LedgerAccount.select().where(LedgerAccount.id == change.transfer.debit_account_id).first()
    assert funding["kind"] == "funding" and funding["debits_posted"] == 250
    assert await LedgerAccount.count().where(LedgerAccount.kind == "wallet") == 1
    again = await funded(programme, 50)
    assert again.balance.wallet_id == change.balance.wallet_id and again.balance.available == 300


async def test_a_recipient_without_a_wallet_has_a_zero_balance(programme):
    balance = await ledger.balance(SYSTEM, programme.programme_id, programme.recipient_ids[1])
    assert (balance.wallet_id, balance.available, balance.pending, balance.posted) == (None, 0, 0, 0)


async def test_reserve_holds_points_and_confirm_posts_them(programme):
    await funded(programme, 1000)
    hold = await ledger.reserve(
        SYSTEM, programme.programme_id, programme.recipient_ids[0], 300, source="marketplace", reference="order-1"
    )
    assert (hold.balance.available, hold.balance.pending, hold.balance.posted) == (700, 300, 1000)
    assert hold.reservation.status is ReservationStatus.PENDING and hold.transfer.phase is Phase.PENDING
    assert hold.reservation.id == hold.transfer.id
    done = await ledger.confirm(SYSTEM, hold.reservation.id)
    assert (done.balance.available, done.balance.pending, done.balance.posted) == (700, 0, 700)
    assert done.reservation.status is ReservationStatus.POSTED and done.reservation.posted_amount == 300
    assert done.transfer.phase is Phase.POST and done.transfer.pending_id == hold.reservation.id
    assert done.transfer.reference == "order-1" and done.transfer.amount == 300
    assert (await verify()).ok


async def test_a_partial_confirm_releases_the_rest(programme):
    await funded(programme, 1000)
    hold = await ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 300, source="marketplace")
    done = await ledger.confirm(SYSTEM, hold.reservation.id, 120, reference="order-9")
    assert (done.balance.available, done.balance.pending, done.balance.posted) == (880, 0, 880)
    assert done.reservation.posted_amount == 120 and done.reservation.released_amount == 180
    assert done.transfer.reference == "order-9"
    assert (await verify()).ok


async def test_release_voids_the_hold(programme):
    await funded(programme, 1000)
    hold = await ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 300, source="loyalty_platform")
    released = await ledger.release(SYSTEM, hold.reservation.id, "basket abandoned")
    assert (released.balance.available, released.balance.pending, released.balance.posted) == (1000, 0, 1000)
    assert released.reservation.status is ReservationStatus.VOIDED
    assert (
        released.transfer.phase is Phase.VOID
        and released.transfer.amount == 300
        and released.transfer.reason == "basket abandoned"
    )
    assert (await verify()).ok


async def test_reserving_more_than_is_available_is_refused_and_changes_nothing(programme):
    await funded(programme, 100)
    await ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 60, source="marketplace")
    transfers = await LedgerTransfer.count()
    assert (
        await refusal(ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 41, source="marketplace"))
        == "INSUFFICIENT_POINTS"
    )
    assert (
        await refusal(ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[1], 1, source="marketplace"))
        == "INSUFFICIENT_POINTS"
    )  # no wallet: nothing available
    assert await LedgerTransfer.count() == transfers
    assert (await ledger.balance(SYSTEM, programme.programme_id, programme.recipient_ids[0])).available == 40


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "10", 10**12 + 1])
async def test_amounts_are_whole_positive_points(programme, amount):
    assert await refusal(ledger.earn(SYSTEM, programme.programme_id, programme.recipient_ids[0], amount)) == "AMOUNT_INVALID"
    assert await LedgerTransfer.count() == 0


async def test_unknown_source_programme_or_recipient_is_refused(programme):
    import uuid

    assert (
        await refusal(ledger.earn(SYSTEM, programme.programme_id, programme.recipient_ids[0], 5, source="pigeon"))
        == "SOURCE_INVALID"
    )
    assert await refusal(ledger.earn(SYSTEM, uuid.uuid4(), programme.recipient_ids[0], 5)) == "PROGRAMME_NOT_FOUND"
    assert await refusal(ledger.earn(SYSTEM, programme.programme_id, uuid.uuid4(), 5)) == "RECIPIENT_NOT_FOUND"
    assert await LedgerTransfer.count() == 0


@pytest.mark.parametrize("timeout", [timedelta(0), timedelta(seconds=-1), timedelta(days=8)])
async def test_a_timeout_must_be_sensible(programme, timeout):
    await funded(programme, 100)
    assert (
        await refusal(ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 5, timeout=timeout))
        == "TIMEOUT_INVALID"
    )


async def test_the_default_timeout_is_fifteen_minutes(programme):
    await funded(programme, 100)
    hold = await ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 5)
    assert hold.reservation.timeout_at - hold.reservation.created_at == timedelta(minutes=15)


async def test_each_closing_step_happens_once(programme):
    await funded(programme, 1000)
    p, r = programme.programme_id, programme.recipient_ids[0]
    confirmed = await ledger.reserve(SYSTEM, p, r, 100)
    await ledger.confirm(SYSTEM, confirmed.reservation.id)
    released = await ledger.reserve(SYSTEM, p, r, 100)
    await ledger.release(SYSTEM, released.reservation.id)
    before = (await LedgerTransfer.count(), await ledger.balance(SYSTEM, p, r))
    assert await refusal(ledger.confirm(SYSTEM, confirmed.reservation.id)) == "RESERVATION_NOT_PENDING"  # a second confirm
    assert await refusal(ledger.release(SYSTEM, confirmed.reservation.id)) == "RESERVATION_NOT_PENDING"  # release after confirm
    assert await refusal(ledger.confirm(SYSTEM, released.reservation.id)) == "RESERVATION_NOT_PENDING"  # confirm after release
    assert await refusal(ledger.release(SYSTEM, released.reservation.id)) == "RESERVATION_NOT_PENDING"
    assert (await LedgerTransfer.count(), await ledger.balance(SYSTEM, p, r)) == before


async def test_confirming_more_than_reserved_is_refused(programme):
    await funded(programme, 1000)
    hold = await ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 100)
    assert await refusal(ledger.confirm(SYSTEM, hold.reservation.id, 101)) == "AMOUNT_INVALID"
    assert (await ledger.get_reservation(SYSTEM, hold.reservation.id)).status is ReservationStatus.PENDING


async def test_an_unknown_reservation_is_not_found(programme):
    import uuid

    assert await refusal(ledger.confirm(SYSTEM, uuid.uuid4())) == "RESERVATION_NOT_FOUND"
    assert await refusal(ledger.release(SYSTEM, uuid.uuid4())) == "RESERVATION_NOT_FOUND"


async def test_a_timed_out_reservation_cannot_be_confirmed_even_before_the_sweep(programme):
    await funded(programme, 1000)
    hold = await ledger.reserve(
        SYSTEM, programme.programme_id, programme.recipient_ids[0], 100, timeout=timedelta(milliseconds=1)
    )
    await _wait_past(hold.reservation.timeout_at)
    assert await refusal(ledger.confirm(SYSTEM, hold.reservation.id)) == "RESERVATION_EXPIRED"
    assert (await ledger.get_reservation(SYSTEM, hold.reservation.id)).status is ReservationStatus.PENDING  # nothing changed


async def test_the_sweep_voids_due_reservations_once_and_they_stay_unconfirmable(programme):
    await funded(programme, 1000)
    p, r = programme.programme_id, programme.recipient_ids[0]
    due = [await ledger.reserve(SYSTEM, p, r, 100, timeout=timedelta(milliseconds=1)) for _ in range(3)]
    later = await ledger.reserve(SYSTEM, p, r, 100, timeout=timedelta(minutes=5))
    await _wait_past(due[-1].reservation.timeout_at)
    assert await ledger.expire_due(batch=2) == 2  # batches
    assert await ledger.expire_due() == 1
    assert await ledger.expire_due() == 0
    for hold in due:
        view = await ledger.get_reservation(SYSTEM, hold.reservation.id)
        assert view.status is ReservationStatus.EXPIRED and view.closing_transfer_id is not None
        assert await refusal(ledger.confirm(SYSTEM, hold.reservation.id)) == "RESERVATION_EXPIRED"
        assert await refusal(ledger.release(SYSTEM, hold.reservation.id)) == "RESERVATION_EXPIRED"
    balance = await ledger.balance(SYSTEM, p, r)
    assert (balance.available, balance.pending) == (900, 100)
    assert (await ledger.get_reservation(SYSTEM, later.reservation.id)).status is ReservationStatus.PENDING
    assert (await verify()).ok


async def test_past_its_timeout_a_reservation_is_the_sweeps_confirm_and_release_alike(programme):
    """One rule for the window between ``timeoutAt`` and the sweep (the guide's RESERVATION_EXPIRED):
    a confirm and a release are both refused and change nothing; the sweep then closes it as
    EXPIRED and the points are available again."""
    await funded(programme, 1000)
    p, r = programme.programme_id, programme.recipient_ids[0]
    hold = await ledger.reserve(SYSTEM, p, r, 100, timeout=timedelta(milliseconds=1))
    await _wait_past(hold.reservation.timeout_at)
    assert await refusal(ledger.release(SYSTEM, hold.reservation.id)) == "RESERVATION_EXPIRED"
    assert await refusal(ledger.release(SYSTEM, hold.reservation.id, idempotency_key="free-1")) == "RESERVATION_EXPIRED"
    assert await refusal(ledger.confirm(SYSTEM, hold.reservation.id, idempotency_key="post-1")) == "RESERVATION_EXPIRED"
    assert (await ledger.get_reservation(SYSTEM, hold.reservation.id)).status is ReservationStatus.PENDING  # nothing changed
    assert len(await ledger.transfer_chain(SYSTEM, hold.reservation.id)) == 1
    assert await ledger.expire_due() == 1
    assert (await ledger.get_reservation(SYSTEM, hold.reservation.id)).status is ReservationStatus.EXPIRED
    assert (await ledger.balance(SYSTEM, p, r)).available == 1000


async def test_every_change_is_audited_and_announced_in_its_transaction(programme):
    await funded(programme, 1000)
    hold = await ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 300, source="marketplace")
    await ledger.confirm(SYSTEM, hold.reservation.id, 200)
    actions = [
        row["action"]
        for row in await AuditEvent.select(AuditEvent.action)
        .where(AuditEvent.entity_type == "ledger_wallet")
        .order_by(AuditEvent.id)
    ]
    assert actions == ["points.earned", "points.reserved", "points.confirmed"]
    confirmed = await AuditEvent.select().where(AuditEvent.action == "points.confirmed").first()
    before, after = (
        json.loads(confirmed[key]) if isinstance(confirmed[key], str) else confirmed[key] for key in ("before", "after")
    )
    assert before == {"available": 700, "pending": 300, "posted": 1000}
    assert after["available"] == 800 and after["posted"] == 800 and after["amount"] == 200
    events = await OutboxEvent.select().where(OutboxEvent.topic == "ledger.balance_changed").order_by(OutboxEvent.id)
    payloads = [json.loads(event["payload"]) if isinstance(event["payload"], str) else event["payload"] for event in events]
    assert [(p["kind"], p["phase"], p["available"], p["pending"], p["posted"]) for p in payloads] == [
        ("earn", "single", 1000, 0, 1000),
        ("redeem", "pending", 700, 300, 1000),
        ("redeem", "post", 800, 0, 800),
    ]
    last = payloads[-1]
    assert last["recipient_external_id"] == "Loyalty-R0" and last["programme_id"] == str(programme.programme_id)
    assert last["wallet_id"] == str(hold.balance.wallet_id) and last["occurred_at"].endswith("+00:00")


async def test_a_refusal_writes_no_audit_and_no_event(programme):
    await funded(programme, 10)
    audits, events = await AuditEvent.count(), await OutboxEvent.count()
    assert await refusal(ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 11)) == "INSUFFICIENT_POINTS"
    assert (await AuditEvent.count(), await OutboxEvent.count()) == (audits, events)


async def test_permissions_are_checked(programme):
    reader = Actor(kind=ActorKind.API_KEY, id=None, label="reader", permissions=frozenset({Permission.POINTS_READ}))
    assert await refusal(ledger.earn(reader, programme.programme_id, programme.recipient_ids[0], 5)) == "FORBIDDEN"
    assert await refusal(ledger.reserve(reader, programme.programme_id, programme.recipient_ids[0], 5)) == "FORBIDDEN"
    nobody = Actor(kind=ActorKind.API_KEY, id=None, label="nobody")
    assert await refusal(ledger.balance(nobody, programme.programme_id, programme.recipient_ids[0])) == "FORBIDDEN"
    assert (await ledger.balance(reader, programme.programme_id, programme.recipient_ids[0])).available == 0


async def test_transfers_are_immutable(programme):
    change = await funded(programme, 10)
    with pytest.raises(Exception, match="immutable"):
        await LedgerTransfer.update({LedgerTransfer.amount: 1_000_000}).where(LedgerTransfer.id == change.transfer.id)
    with pytest.raises(Exception, match="immutable"):
        await LedgerTransfer.delete().where(LedgerTransfer.id == change.transfer.id)


async def test_the_database_backs_the_no_overdraft_rule_up(programme):
    """Even a statement that skipped the service's conditional UPDATE could not overdraw a wallet."""
    change = await funded(programme, 10)
    with pytest.raises(Exception, match="ledger_accounts_balance_rule"):
        await LedgerAccount.update({LedgerAccount.debits_posted: 11}).where(LedgerAccount.id == change.balance.wallet_id)
    with pytest.raises(Exception, match="ledger_reservations_amounts"):
        hold = await ledger.reserve(SYSTEM, programme.programme_id, programme.recipient_ids[0], 5)
        await LedgerReservation.update({LedgerReservation.posted_amount: 6}).where(LedgerReservation.id == hold.reservation.id)


async def _wait_past(moment) -> None:
    import asyncio

    while utcnow() <= moment:
        await asyncio.sleep(0.005)


async def test_opening_a_wallet_twice_gives_one_wallet_and_one_audit_entry(programme):
    first = await ledger.open_wallet(SYSTEM, programme.programme_id, programme.recipient_ids[2])
    again = await ledger.open_wallet(SYSTEM, programme.programme_id, programme.recipient_ids[2])
    assert first.wallet_id is not None and again == first and (first.available, first.posted) == (0, 0)
    assert await AuditEvent.count().where(AuditEvent.action == "ledger.wallet_opened") == 1
    assert await LedgerAccount.count().where(LedgerAccount.kind == "funding") == 16  # the programme's shards, once
