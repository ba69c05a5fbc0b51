"""A wallet's balance events can be put in order (issue 15): each carries the wallet's sequence,
taken under the wallet's lock by the UPDATE that moves the balances. Concurrent confirms, releases
and reserves on one wallet give its events the sequences 1..N with no gap and no repeat, and the
event with the highest sequence carries the wallet's final balance, which is what a receiver that
keeps the highest sequence ends up with."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from backend.core.authz import SYSTEM
from backend.core.db import write_transaction
from backend.core.tables import OutboxEvent
from backend.ledger import services as ledger
from backend.ledger.events import BALANCE_CHANGED


async def balance_events(wallet_id) -> list[dict]:
    rows = await OutboxEvent.select(OutboxEvent.payload).where(OutboxEvent.topic == BALANCE_CHANGED)
    payloads = [json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"] for row in rows]
    return [payload for payload in payloads if payload["wallet_id"] == str(wallet_id)]


def kept_by_a_receiver(events: list[dict]) -> dict:
    """What a receiver keeps when events arrive in any order: the one with the highest sequence."""
    return max(events, key=lambda event: event["sequence"])


async def test_concurrent_confirms_on_one_wallet_number_its_events_in_commit_order(db, programme):
    p, r = programme.programme_id, programme.recipient_ids[0]
    holds_count = 40 if db.kind == "postgres" else 20
    await ledger.earn(SYSTEM, p, r, 100_000)
    holds = await asyncio.gather(*(ledger.reserve(SYSTEM, p, r, 100 + n) for n in range(holds_count)))

    # Confirm most (some in part), release a few, and keep reserving on the same wallet meanwhile.
    async def close(n: int, reservation_id):
        if n % 5 == 0:
            return await ledger.release(SYSTEM, reservation_id)
        return await ledger.confirm(SYSTEM, reservation_id, 50 if n % 3 == 0 else None)

    await asyncio.gather(
        *(close(n, hold.reservation.id) for n, hold in enumerate(holds)),
        *(ledger.reserve(SYSTEM, p, r, 7) for _ in range(holds_count // 4)),
    )

    wallet_id = holds[0].balance.wallet_id
    events = await balance_events(wallet_id)
    moves = 1 + holds_count + holds_count + holds_count // 4  # earn, reserves, closes, more reserves
    assert sorted(event["sequence"] for event in events) == list(range(1, moves + 1))

    final = await ledger.balance(SYSTEM, p, r)
    latest = kept_by_a_receiver(events)
    assert (latest["available"], latest["pending"], latest["posted"]) == (final.available, final.pending, final.posted)


async def test_each_event_follows_from_the_one_before_it_in_sequence(db, programme):
    """In sequence order, each event's balances are the previous event's moved by its own transfer:
    the sequence is the order in which the moves were applied, not only a unique number."""
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 10_000)
    holds = await asyncio.gather(*(ledger.reserve(SYSTEM, p, r, 10) for _ in range(12)))
    await asyncio.gather(
        *(ledger.confirm(SYSTEM, hold.reservation.id) for hold in holds[:8]),
        *(ledger.release(SYSTEM, hold.reservation.id) for hold in holds[8:]),
        *(ledger.earn(SYSTEM, p, r, 5) for _ in range(6)),
    )
    events = sorted(await balance_events(holds[0].balance.wallet_id), key=lambda event: event["sequence"])
    for before, after in zip(events, events[1:], strict=False):
        shift = {"single": (1, 0, 1), "pending": (-1, 1, 0), "post": (0, -1, -1), "void": (1, -1, 0)}[after["phase"]]
        amount = after["amount"]
        assert (after["available"], after["pending"], after["posted"]) == (
            before["available"] + shift[0] * amount,
            before["pending"] + shift[1] * amount,
            before["posted"] + shift[2] * amount,
        ), (before, after)


async def test_a_rolled_back_move_leaves_no_gap(db, programme):
    """A move inside a caller's transaction that rolls back takes its sequence number with it."""
    p, r = programme.programme_id, programme.recipient_ids[0]
    await ledger.earn(SYSTEM, p, r, 500)
    try:
        async with write_transaction():
            await ledger.earn(SYSTEM, p, r, 100)
            raise RuntimeError("the caller gives up")
    except RuntimeError:
        pass
    hold = await ledger.reserve(SYSTEM, p, r, 200, timeout=timedelta(minutes=5))
    events = await balance_events(hold.balance.wallet_id)
    assert sorted(event["sequence"] for event in events) == [1, 2]
    assert kept_by_a_receiver(events)["available"] == 300
