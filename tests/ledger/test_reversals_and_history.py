"""Reversals (refunds of confirmed redemptions), the transaction log and reversal chains."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.ledger import services as ledger
from backend.ledger.kinds import Direction, Phase, TransactionStatus, TransferKind
from backend.ledger.services import HistoryFilter
from backend.ledger.verify import verify


async def refusal(call) -> str:
    with pytest.raises(DomainError) as refused:
        await call
    return refused.value.code


async def redeemed(programme, reserved: int = 300, confirmed: int | None = None, earned: int = 1000):
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, earned, source="campaign")
    hold = await ledger.reserve(SYSTEM, p, r, reserved, source="marketplace", reference="order-7")
    return await ledger.confirm(SYSTEM, hold.reservation.id, confirmed)


async def test_a_reversal_is_a_new_linked_transfer_back_to_the_wallet(programme):
    done = await redeemed(programme)
    back = await ledger.reverse(SYSTEM, done.transfer.id, reason="order cancelled")
    assert back.transfer.kind is TransferKind.REVERSE and back.transfer.reverses_id == done.transfer.id
    assert back.transfer.direction is Direction.CREDIT and back.transfer.amount == 300
    assert back.transfer.reference == "order-7" and back.transfer.source.value == "marketplace"
    assert (back.balance.available, back.balance.posted) == (1000, 1000)
    original = await ledger.get_transfer(SYSTEM, done.transfer.id)
    assert original == done.transfer  # never edited
    assert (await verify()).ok


async def test_a_redemption_cannot_be_reversed_twice_or_beyond_its_amount(programme):
    done = await redeemed(programme, reserved=300, confirmed=250)
    assert await refusal(ledger.reverse(SYSTEM, done.transfer.id, 251)) == "NOT_REVERSIBLE"
    await ledger.reverse(SYSTEM, done.transfer.id, 100)
    assert await refusal(ledger.reverse(SYSTEM, done.transfer.id, 151)) == "NOT_REVERSIBLE"
    rest = await ledger.reverse(SYSTEM, done.reservation.id)  # the reservation's id finds the same redemption
    assert rest.transfer.amount == 150
    assert await refusal(ledger.reverse(SYSTEM, done.transfer.id)) == "NOT_REVERSIBLE"
    assert (await ledger.get_reservation(SYSTEM, done.reservation.id)).reversed_amount == 250
    assert (await ledger.balance(SYSTEM, programme.programme_id, programme.recipient_ids[0])).available == 1000


async def test_concurrent_reversals_never_give_back_more_than_was_redeemed(programme):
    done = await redeemed(programme, reserved=100)
    results = await asyncio.gather(*(ledger.reverse(SYSTEM, done.transfer.id, 30) for _ in range(6)), return_exceptions=True)
    succeeded = [result for result in results if not isinstance(result, Exception)]
    assert len(succeeded) == 3
    assert all(
        isinstance(result, DomainError) and result.code == "NOT_REVERSIBLE" for result in results if result not in succeeded
    )
    assert (await ledger.get_reservation(SYSTEM, done.reservation.id)).reversed_amount == 90
    assert (await verify()).ok


async def test_only_confirmed_redemptions_are_reversible(programme):
    p, r = programme.programme_id, programme.recipient_ids[0]
    earned = await ledger.earn(SYSTEM, p, r, 1000)
    assert await refusal(ledger.reverse(SYSTEM, earned.transfer.id)) == "NOT_REVERSIBLE"
    pending = await ledger.reserve(SYSTEM, p, r, 10)
    assert await refusal(ledger.reverse(SYSTEM, pending.transfer.id)) == "NOT_REVERSIBLE"
    released = await ledger.release(SYSTEM, pending.reservation.id)
    assert await refusal(ledger.reverse(SYSTEM, released.transfer.id)) == "NOT_REVERSIBLE"
    back = await ledger.reverse(SYSTEM, (await redeemed(programme)).transfer.id)
    assert await refusal(ledger.reverse(SYSTEM, back.transfer.id)) == "NOT_REVERSIBLE"  # a reversal is not reversed
    assert await refusal(ledger.reverse(SYSTEM, uuid.uuid4())) == "TRANSFER_NOT_FOUND"


async def test_the_chain_of_a_redemption_is_found_from_any_of_its_transfers(programme):
    done = await redeemed(programme)
    first = await ledger.reverse(SYSTEM, done.transfer.id, 100)
    second = await ledger.reverse(SYSTEM, done.transfer.id, 50)
    expected = [done.reservation.id, done.transfer.id, first.transfer.id, second.transfer.id]
    for member in expected:
        chain = await ledger.transfer_chain(SYSTEM, member)
        assert [transfer.id for transfer in chain] == expected
    assert [t.phase for t in chain] == [Phase.PENDING, Phase.POST, Phase.SINGLE, Phase.SINGLE]
    lone = await ledger.earn(SYSTEM, programme.programme_id, programme.recipient_ids[0], 5)
    assert [t.id for t in await ledger.transfer_chain(SYSTEM, lone.transfer.id)] == [lone.transfer.id]


async def test_the_log_is_newest_first_with_statuses_and_signed_amounts(programme):
    p, r = programme.programme_id, programme.recipient_ids[0]
    earned = await ledger.earn(SYSTEM, p, r, 1000, source="campaign")
    open_hold = await ledger.reserve(SYSTEM, p, r, 100, source="marketplace")
    gone = await ledger.reserve(SYSTEM, p, r, 50, source="loyalty_platform")
    released = await ledger.release(SYSTEM, gone.reservation.id)
    page = await ledger.history(SYSTEM, earned.balance.wallet_id)
    assert [(e.transfer.id, e.status, e.signed_amount) for e in page.entries] == [
        (released.transfer.id, TransactionStatus.VOIDED, -50),
        (gone.transfer.id, TransactionStatus.VOIDED, -50),
        (open_hold.transfer.id, TransactionStatus.PENDING, -100),
        (earned.transfer.id, TransactionStatus.POSTED, 1000),
    ]
    assert page.next_cursor is None


async def test_the_log_filters_by_source_kind_status_and_dates(programme):
    p, r = programme.programme_id, programme.recipient_ids[0]
    earned = await ledger.earn(SYSTEM, p, r, 1000, source="campaign")
    wallet = earned.balance.wallet_id
    market = await ledger.reserve(SYSTEM, p, r, 100, source="marketplace")
    platform = await ledger.reserve(SYSTEM, p, r, 50, source="loyalty_platform")
    confirmed = await ledger.confirm(SYSTEM, platform.reservation.id)

    async def ids(**conditions) -> list:
        return [e.transfer.id for e in (await ledger.history(SYSTEM, wallet, HistoryFilter(**conditions))).entries]

    assert await ids(source="marketplace") == [market.transfer.id]
    assert await ids(source="loyalty_platform") == [confirmed.transfer.id, platform.transfer.id]
    assert await ids(kind="earn") == [earned.transfer.id]
    assert await ids(status="pending") == [market.transfer.id]
    assert await ids(status="posted") == [confirmed.transfer.id, platform.transfer.id, earned.transfer.id]
    assert await ids(since=market.transfer.created_at) == [confirmed.transfer.id, platform.transfer.id, market.transfer.id]
    assert await ids(until=market.transfer.created_at) == [earned.transfer.id]
    assert await ids(since=utcnow() + timedelta(days=1)) == []
    assert await ledger.count_history(SYSTEM, wallet, HistoryFilter(source="loyalty_platform")) == 2
    assert await ledger.count_history(SYSTEM, wallet) == 4
    with pytest.raises(DomainError) as refused:
        await ledger.history(SYSTEM, wallet, HistoryFilter(kind="gift"))
    assert refused.value.code == "FILTER_INVALID"


async def test_the_log_pages_by_cursor_without_overlap(programme):
    p, r = programme.programme_id, programme.recipient_ids[0]
    made = [(await ledger.earn(SYSTEM, p, r, index + 1)).transfer.id for index in range(7)]
    wallet = (await ledger.balance(SYSTEM, p, r)).wallet_id
    seen, cursor = [], None
    while True:
        page = await ledger.history(SYSTEM, wallet, after=cursor, limit=3)
        seen += [entry.transfer.id for entry in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(made))


async def test_reservations_of_a_wallet_and_transfers_by_reference(programme):
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 1000)
    first = await ledger.reserve(SYSTEM, p, r, 10, reference="cart-1")
    second = await ledger.reserve(SYSTEM, p, r, 20, reference="cart-2")
    await ledger.confirm(SYSTEM, first.reservation.id)
    wallet = first.balance.wallet_id
    everything = await ledger.list_reservations(SYSTEM, wallet)
    assert [view.id for view in everything.reservations] == [second.reservation.id, first.reservation.id]
    holds = await ledger.list_reservations(SYSTEM, wallet, status="pending")
    assert [(view.id, view.amount, view.reference) for view in holds.reservations] == [(second.reservation.id, 20, "cart-2")]
    by_reference = await ledger.transfers_by_reference(SYSTEM, "cart-1")
    assert [(t.phase, t.amount) for t in by_reference] == [(Phase.PENDING, 10), (Phase.POST, 10)]
    assert [b.wallet_id for b in await ledger.wallets_of(SYSTEM, r)] == [wallet]
