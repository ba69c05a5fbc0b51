"""Replay receipts of providers' callbacks are kept for RECEIPT_DAYS (longer than any signed time
window, so a replay inside one always finds its receipt), then pruned by the worker's hourly cron."""

from __future__ import annotations

from datetime import timedelta

from delivery_steps import count

from backend.core import sql
from backend.core.clock import utcnow
from backend.core.ids import new_id
from backend.deliveries.services import status_callbacks
from backend.deliveries.services.status_callbacks import RECEIPT_DAYS, SIGNED_TIME_WINDOW, within_signed_window
from jobs import deliveries as delivery_jobs


async def receipt(key: str, age: timedelta) -> None:
    await sql.fetch(
        "INSERT INTO delivery_callback_receipts (id, receipt_key, received_at) VALUES ($1, $2, $3)", new_id(), key, utcnow() - age
    )


async def test_receipts_older_than_their_window_are_pruned_and_younger_ones_kept(db):
    assert timedelta(days=RECEIPT_DAYS) > SIGNED_TIME_WINDOW
    for n in range(7):
        await receipt(f"p:old-{n}", timedelta(days=RECEIPT_DAYS, hours=1 + n))
    await receipt("p:young", timedelta(days=RECEIPT_DAYS - 1))
    await receipt("p:new", timedelta(0))
    assert await status_callbacks.prune_receipts(batch=3) == 7  # in several batches
    keys = {row["receipt_key"] for row in await sql.fetch("SELECT receipt_key FROM delivery_callback_receipts")}
    assert keys == {"p:young", "p:new"}
    assert await delivery_jobs.prune_callback_receipts({}) == 0  # the cron's job: nothing left to prune
    assert await count("SELECT COUNT(*) FROM delivery_callback_receipts") == 2


def test_the_signed_window_refuses_the_old_and_the_future_and_lets_an_unsigned_time_through():
    now = utcnow()
    assert within_signed_window(now - timedelta(days=6), now) and within_signed_window(now + timedelta(minutes=4), now)
    assert not within_signed_window(now - timedelta(days=8), now)
    assert not within_signed_window(now + timedelta(minutes=10), now)
    assert within_signed_window(None, now)  # the Twilio-shaped callback signs no time: its receipt decides


def test_the_prune_runs_hourly_in_the_worker():
    names = {job.name for job in delivery_jobs.cron_jobs({"second": {0}}, 30)}
    assert "cron:prune_callback_receipts" in names
