"""`ledger verify` finds what does not add up; the worker's sweep expires reservations."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from backend.core import sql
from backend.core.authz import SYSTEM
from backend.ledger import services as ledger
from backend.ledger.kinds import ReservationStatus
from backend.ledger.verify import verify
from jobs.ledger import expire_reservations


async def busy_ledger(programme):
    p, (a, b, _) = programme.programme_id, programme.recipient_ids
    await ledger.earn(SYSTEM, p, a, 1000)
    await ledger.earn(SYSTEM, p, b, 500)
    done = await ledger.confirm(SYSTEM, (await ledger.reserve(SYSTEM, p, a, 300)).reservation.id, 200)
    await ledger.reverse(SYSTEM, done.transfer.id, 50)
    await ledger.release(SYSTEM, (await ledger.reserve(SYSTEM, p, b, 100)).reservation.id)
    return await ledger.reserve(SYSTEM, p, b, 40)


async def test_a_consistent_ledger_verifies(programme):
    await busy_ledger(programme)
    report = await verify()
    assert report.ok, report.lines()
    assert (report.transfers, report.reservations) == (8, 3)
    assert report.lines()[-1] == "ledger verified: no differences"


async def test_a_tampered_balance_is_a_difference_and_breaks_the_zero_sum(programme):
    hold = await busy_ledger(programme)
    await sql.fetch("UPDATE ledger_accounts SET credits_posted = credits_posted + 7 WHERE id = $1", hold.balance.wallet_id)
    report = await verify()
    assert not report.ok
    [difference] = report.differences
    assert (difference.account_id, difference.balance, difference.stored - difference.recomputed) == (
        hold.balance.wallet_id,
        "credits_posted",
        7,
    )
    [imbalance] = report.imbalances
    assert (imbalance.programme_id, imbalance.posted, imbalance.pending) == (programme.programme_id, 7, 0)
    assert "NOT verified" in report.lines()[-1]


async def test_a_reservation_at_odds_with_its_transfers_is_reported(programme):
    hold = await busy_ledger(programme)
    await sql.fetch("UPDATE ledger_reservations SET status = 'posted', posted_amount = 40 WHERE id = $1", hold.reservation.id)
    report = await verify()
    assert not report.differences and not report.imbalances  # the balances themselves still add up
    assert any(str(hold.reservation.id) in problem and "closed by 0 transfer(s)" in problem for problem in report.problems)


async def test_an_overdrawn_wallet_is_reported(db, programme):
    """The database refuses an overdraft; verify still looks, should the rule ever be dropped.
    Dropping it happens in a transaction that is rolled back, rule included (DDL is transactional
    on both databases)."""
    hold = await busy_ledger(programme)
    async with db.engine.transaction() as transaction:
        if sql.is_sqlite():
            await sql.fetch("DROP TRIGGER ledger_accounts_balance_rule_update")
        else:
            await sql.fetch("ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_balance_rule")
        await sql.fetch(
            "UPDATE ledger_accounts SET debits_pending = debits_pending + 10000 WHERE id = $1", hold.balance.wallet_id
        )
        report = await verify()
        await transaction.rollback()
    assert any(f"wallet {hold.balance.wallet_id} is overdrawn" in problem for problem in report.problems)
    assert (await verify()).ok  # rolled back: the wallet and the rule are as they were


async def test_the_sweep_job_expires_every_due_reservation(programme):
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 1000)
    due = [await ledger.reserve(SYSTEM, p, r, 1, timeout=timedelta(milliseconds=1)) for _ in range(5)]
    kept = await ledger.reserve(SYSTEM, p, r, 1, timeout=timedelta(minutes=1))
    await asyncio.sleep(0.01)
    assert await expire_reservations() == (5, False)
    assert await expire_reservations() == (0, False)
    statuses = {(await ledger.get_reservation(SYSTEM, hold.reservation.id)).status for hold in due}
    assert statuses == {ReservationStatus.EXPIRED}
    assert (await ledger.get_reservation(SYSTEM, kept.reservation.id)).status is ReservationStatus.PENDING
    assert (await verify()).ok


async def test_a_sweep_round_is_bounded_and_says_when_more_are_due(programme, monkeypatch):
    import jobs.ledger

    monkeypatch.setattr(jobs.ledger, "SWEEP_BATCH", 2)
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 1000)
    for _ in range(5):
        await ledger.reserve(SYSTEM, p, r, 1, timeout=timedelta(milliseconds=1))
    await asyncio.sleep(0.01)
    assert await expire_reservations(time_budget=0) == (2, True)  # one batch, then the budget is spent
    assert await expire_reservations() == (3, False)
