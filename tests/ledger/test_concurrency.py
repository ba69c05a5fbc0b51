"""The ledger's invariants under concurrency (DESIGN.md rule 3), on SQLite and PostgreSQL.

* One hot wallet with exactly enough for N reservations, and many more tries at once: exactly N
  succeed. What holds is the conditional UPDATE: without its WHERE, the losers would hit the
  database's CHECK instead (an IntegrityError, not INSUFFICIENT_POINTS) or overdraw.
* Confirm, release and the sweep racing for the same reservations: each closes once.
* The randomized run of the issue: many tasks doing mixed operations on hot and cold wallets with
  timeouts firing; at the end no wallet is below zero, the ledger sums to zero and verifies, and
  every idempotent replay returned its first result.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from backend.core import sql
from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.ledger import services as ledger
from backend.ledger.kinds import ReservationStatus, Source
from backend.ledger.verify import verify

EXPECTED_REFUSALS = {"INSUFFICIENT_POINTS", "RESERVATION_NOT_PENDING", "RESERVATION_EXPIRED", "NOT_REVERSIBLE"}


async def test_a_hot_wallet_with_enough_for_n_gives_exactly_n(db, programme):
    enough_for, tries, amount = 25, 80 if db.kind == "postgres" else 40, 7
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, enough_for * amount)
    results = await asyncio.gather(
        *(ledger.reserve(SYSTEM, p, r, amount, source="marketplace") for _ in range(tries)), return_exceptions=True
    )
    won = [result for result in results if not isinstance(result, BaseException)]
    lost = [result for result in results if isinstance(result, BaseException)]
    assert len(won) == enough_for
    assert all(isinstance(error, DomainError) and error.code == "INSUFFICIENT_POINTS" for error in lost), lost[:3]
    balance = await ledger.balance(SYSTEM, p, r)
    assert (balance.available, balance.pending) == (0, enough_for * amount)
    assert (await verify()).ok


async def test_confirm_release_and_the_sweep_close_each_reservation_once(db, programme):
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 10_000)
    holds = [await ledger.reserve(SYSTEM, p, r, 10, timeout=timedelta(milliseconds=300)) for _ in range(12)]
    await asyncio.sleep(0.25)  # let the timeout fall in the middle of the race

    async def race(reservation_id):
        return await asyncio.gather(
            ledger.confirm(SYSTEM, reservation_id),
            ledger.release(SYSTEM, reservation_id),
            ledger.expire_due(now=utcnow() + timedelta(milliseconds=60)),
            return_exceptions=True,
        )

    for outcomes in await asyncio.gather(*(race(hold.reservation.id) for hold in holds)):
        refusals = [o for o in outcomes[:2] if isinstance(o, BaseException)]
        assert all(isinstance(o, DomainError) and o.code in EXPECTED_REFUSALS for o in refusals), refusals
        assert not isinstance(outcomes[2], BaseException)
    for hold in holds:
        view = await ledger.get_reservation(SYSTEM, hold.reservation.id)
        assert view.status is not ReservationStatus.PENDING
        assert len(await ledger.transfer_chain(SYSTEM, hold.reservation.id)) == 2  # the hold and exactly one close
    report = await verify()
    assert report.ok, report.lines()


# ---------------------------------------------------------------- the randomized run


@dataclass
class World:
    wallets: list[tuple[uuid.UUID, uuid.UUID]]  # (programme, recipient); the first is the hot one
    callers: list[Actor]
    pending: list[tuple[uuid.UUID, int]] = field(default_factory=list)  # (reservation, amount)
    redeemed: list[uuid.UUID] = field(default_factory=list)  # post transfers
    first_results: list[tuple] = field(default_factory=list)  # (call, key, result) for replays
    outcomes: Counter = field(default_factory=Counter)

    def wallet(self, rng: random.Random) -> tuple[uuid.UUID, uuid.UUID]:
        return self.wallets[0] if rng.random() < 0.35 else rng.choice(self.wallets[1:])


async def _build_world(new_programme, wallet_count: int) -> World:
    first = await new_programme("Mixed A", wallet_count // 2)
    second = await new_programme("Mixed B", wallet_count - wallet_count // 2)
    wallets = [(first.programme_id, r) for r in first.recipient_ids] + [(second.programme_id, r) for r in second.recipient_ids]
    for p, r in wallets:
        await ledger.earn(SYSTEM, p, r, 400 if (p, r) == wallets[0] else 60, source="campaign")
    callers = [
        Actor(kind=ActorKind.API_KEY, id=uuid.uuid4(), label=f"caller {n}", permissions=frozenset(Permission)) for n in range(4)
    ]
    return World(wallets=wallets, callers=callers)


def _call(world: World, rng: random.Random) -> tuple[str, object] | None:
    """One random operation as (name, zero-argument coroutine factory taking the key)."""
    caller, roll = rng.choice(world.callers), rng.random()
    source = rng.choice([Source.MARKETPLACE, Source.LOYALTY_PLATFORM])
    if roll < 0.22:
        p, r = world.wallet(rng)
        amount, how = rng.randint(1, 30), rng.choice(list(Source))
        return "earn", lambda key: ledger.earn(caller, p, r, amount, source=how, reference=key, idempotency_key=key)
    if roll < 0.52:
        p, r = world.wallet(rng)
        amount = rng.randint(1, 60)
        timeout = timedelta(milliseconds=rng.randint(5, 400)) if rng.random() < 0.3 else timedelta(minutes=5)
        return "reserve", lambda key: ledger.reserve(caller, p, r, amount, source=source, timeout=timeout, idempotency_key=key)
    if roll < 0.72 and world.pending:
        reservation_id, held = rng.choice(world.pending)
        amount = None if rng.random() < 0.5 else rng.randint(1, held)
        return "confirm", lambda key: ledger.confirm(caller, reservation_id, amount, idempotency_key=key)
    if roll < 0.84 and world.pending:
        reservation_id, _ = rng.choice(world.pending)
        return "release", lambda key: ledger.release(caller, reservation_id, "changed my mind", idempotency_key=key)
    if roll < 0.94 and world.redeemed:
        transfer_id = rng.choice(world.redeemed)
        amount = None if rng.random() < 0.4 else rng.randint(1, 20)
        return "reverse", lambda key: ledger.reverse(caller, transfer_id, amount, reason="refund", idempotency_key=key)
    return None


async def _operate(world: World, rng: random.Random, operations: int) -> None:
    for _ in range(operations):
        if rng.random() < 0.03:
            world.outcomes["expired by the sweep"] += await ledger.expire_due(batch=50)
            world.outcomes["expire_due"] += 1
            continue
        if world.first_results and rng.random() < 0.08:
            call, key, first = rng.choice(world.first_results)
            assert await call(key) == first, "an idempotent replay returned something else than the first result"
            world.outcomes["replay"] += 1
            continue
        picked = _call(world, rng)
        if picked is None:
            continue
        name, call = picked
        key = uuid.uuid4().hex
        twice = rng.random() < 0.05  # the same call sent twice at once: one effect, one answer
        results = await asyncio.gather(*(call(key) for _ in range(2 if twice else 1)), return_exceptions=True)
        for error in (result for result in results if isinstance(result, BaseException)):
            if not (isinstance(error, DomainError) and error.code in EXPECTED_REFUSALS):
                raise error
            # A refusal stores nothing, so its twin may still succeed (points arrived in between).
            world.outcomes[f"{name} refused: {error.code}"] += 1
        succeeded = [result for result in results if not isinstance(result, BaseException)]
        if not succeeded:
            continue
        assert all(result == succeeded[0] for result in succeeded), "one key, two different effects"
        result = succeeded[0]
        world.outcomes[name] += 1
        world.first_results.append((call, key, result))
        if name == "reserve":
            world.pending.append((result.reservation.id, result.reservation.amount))
        elif name in ("confirm", "release"):
            world.pending = [(rid, held) for rid, held in world.pending if rid != result.reservation.id]
            if name == "confirm":
                world.redeemed.append(result.transfer.id)


async def test_randomized_mixed_operations_keep_every_invariant(db, new_programme):
    tasks, per_task = (32, 350) if db.kind == "postgres" else (16, 100)
    world = await _build_world(new_programme, wallet_count=40)
    await asyncio.gather(*(_operate(world, random.Random(seed), per_task) for seed in range(tasks)))
    timed_out = await _expired_count()  # by the sweeps during the run
    await ledger.expire_due(now=utcnow() + timedelta(minutes=10), batch=10_000)  # close what is left

    done = sum(world.outcomes.values())
    assert done >= (10_000 if db.kind == "postgres" else 1_200), world.outcomes
    for needed in ("earn", "reserve", "confirm", "release", "reverse", "replay", "reserve refused: INSUFFICIENT_POINTS"):
        assert world.outcomes[needed] > 0, f"the run never did {needed}: {world.outcomes}"
    assert timed_out > 0 and world.outcomes["confirm refused: RESERVATION_EXPIRED"] > 0, world.outcomes
    lowest = await sql.fetchrow(
        "SELECT MIN(credits_posted - debits_posted - debits_pending) AS lowest FROM ledger_accounts WHERE kind = 'wallet'"
    )
    assert lowest["lowest"] >= 0
    duplicated = await sql.fetch(
        "SELECT reference FROM ledger_transfers WHERE kind = 'earn' AND reference IS NOT NULL "
        "GROUP BY reference HAVING COUNT(*) > 1"
    )
    assert duplicated == [], "a key sent twice at once earned twice"
    report = await verify()
    assert report.ok, "\n".join(report.lines()[:20])
    assert report.reservations == world.outcomes["reserve"]


async def _expired_count() -> int:
    return (await sql.fetchrow("SELECT COUNT(*) AS n FROM ledger_reservations WHERE status = 'expired'"))["n"]
