"""A points reservation confirmed for an offer is a redemption of that offer and its spend (the
points at the programme's value of a point), recorded once by insights from the ledger's
``ledger.points_redeemed`` event; a reservation with no offer, or released, records nothing. Its
reversal (a refund, ``ledger.points_reversed``) takes the spend back and, reversed in full, the
redemption, on the reversal's own day."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from backend.core import outbox, sql
from backend.core.authz import SYSTEM
from backend.insights import ingestion, metrics, rollup
from backend.ledger import services as ledger
from jobs.insights import HANDLERS


async def redeemed_events() -> list:
    return await sql.fetch("SELECT id, payload FROM outbox_events WHERE topic = 'ledger.points_redeemed' ORDER BY id")


async def test_a_confirmed_reservation_for_an_offer_is_one_redemption_and_its_spend(shop):
    asha, chai = shop.people[0], shop.partners[0]
    offer = shop.offers[chai.id][0]
    await ledger.earn(SYSTEM, shop.programme_id, asha, 1000)
    held = await ledger.reserve(SYSTEM, shop.programme_id, asha, 500, offer_id=offer.id)
    assert held.reservation.offer_id == offer.id
    assert await redeemed_events() == []  # a hold is not a redemption
    confirmed = await ledger.confirm(SYSTEM, held.reservation.id, 400)  # 100 points released
    assert confirmed.reservation.offer_id == offer.id

    [event] = await redeemed_events()
    payload = event["payload"] if isinstance(event["payload"], dict) else json.loads(event["payload"])
    assert (payload["offer_id"], payload["points"], payload["reservation_id"]) == (str(offer.id), 400, str(held.reservation.id))
    assert await outbox.process(event["id"], HANDLERS) == "done"
    day = confirmed.transfer.created_at.date()
    [figures] = await metrics.partner_figures(shop.programme_id, day, day)
    # 400 points at ₹0.25 = ₹100.00; Asha's segment is kept (IN, grade 5).
    assert (figures.partner_id, figures.redemptions, figures.spend_minor) == (chai.id, 1, 10_000)
    [graded] = await metrics.partner_figures(shop.programme_id, day, day, metrics.Segment(grade="5"))
    assert graded.redemptions == 1

    # Handed over again (the relay, a replay): recorded once.
    await sql.fetch("UPDATE outbox_events SET status = 'pending' WHERE id = $1", event["id"])
    assert await outbox.process(event["id"], HANDLERS) == "done"
    [figures] = await metrics.partner_figures(shop.programme_id, day, day)
    assert (figures.redemptions, figures.spend_minor) == (1, 10_000)


async def test_the_offer_may_be_named_at_confirmation_and_nothing_is_recorded_without_one(shop):
    asha, books = shop.people[0], shop.partners[1]
    await ledger.earn(SYSTEM, shop.programme_id, asha, 1000)
    plain = await ledger.reserve(SYSTEM, shop.programme_id, asha, 100)
    await ledger.confirm(SYSTEM, plain.reservation.id)
    released = await ledger.reserve(SYSTEM, shop.programme_id, asha, 100, offer_id=shop.offers[books.id][0].id)
    await ledger.release(SYSTEM, released.reservation.id, "basket abandoned")
    assert await redeemed_events() == []  # no offer, or no spend: the ledger's hot path writes nothing more

    late = await ledger.reserve(SYSTEM, shop.programme_id, asha, 200)
    offer = shop.offers[books.id][1]
    confirmed = await ledger.confirm(SYSTEM, late.reservation.id, offer_id=offer.id)
    assert confirmed.reservation.offer_id == offer.id
    assert (await ledger.get_reservation(SYSTEM, late.reservation.id)).offer_id == offer.id
    [event] = await redeemed_events()
    assert await outbox.process(event["id"], HANDLERS) == "done"
    day = confirmed.transfer.created_at.date()
    [figures] = await metrics.partner_figures(shop.programme_id, day, day)
    assert (figures.partner_id, figures.redemptions, figures.spend_minor) == (books.id, 1, 5_000)


async def _handle(topic: str) -> None:
    """Hand every pending event of ``topic`` to the insights handlers, oldest first."""
    for row in await sql.fetch("SELECT id FROM outbox_events WHERE topic = $1 AND status = 'pending' ORDER BY id", topic):
        assert await outbox.process(row["id"], HANDLERS) == "done"


async def test_a_reversed_redemption_takes_its_spend_and_at_full_reversal_its_redemption_off_the_partner(shop):
    asha, chai = shop.people[0], shop.partners[0]
    offer = shop.offers[chai.id][0]
    await ledger.earn(SYSTEM, shop.programme_id, asha, 2000)
    held = await ledger.reserve(SYSTEM, shop.programme_id, asha, 401, offer_id=offer.id)
    confirmed = await ledger.confirm(SYSTEM, held.reservation.id)
    kept = await ledger.reserve(SYSTEM, shop.programme_id, asha, 200, offer_id=offer.id)
    await ledger.confirm(SYSTEM, kept.reservation.id)
    await _handle("ledger.points_redeemed")
    day = confirmed.transfer.created_at.date()
    next_day = day + timedelta(days=1)  # the reversals may come after midnight
    [figures] = await metrics.partner_figures(shop.programme_id, day, next_day)
    assert (figures.redemptions, figures.spend_minor) == (2, 10_025 + 5_000)  # 401 points at ₹0.25 = ₹100.25, and ₹50.00

    # A partial refund: the spend goes down, the redemption stands.
    await ledger.reverse(SYSTEM, held.reservation.id, 101, reason="one item returned")
    await _handle("ledger.points_reversed")
    [figures] = await metrics.partner_figures(shop.programme_id, day, next_day)
    assert (figures.redemptions, figures.spend_minor) == (2, 15_025 - 2_525)  # ₹100.25 → ₹75.00 (300 points)

    # The rest: the redemption is undone, its spend back to exactly what was recorded for it.
    await ledger.reverse(SYSTEM, held.reservation.id, reason="order cancelled")
    await _handle("ledger.points_reversed")
    [figures] = await metrics.partner_figures(shop.programme_id, day, next_day)
    assert (figures.partner_id, figures.redemptions, figures.spend_minor) == (chai.id, 1, 5_000)
    [graded] = await metrics.partner_figures(shop.programme_id, day, next_day, metrics.Segment(grade="5"))
    assert (graded.redemptions, graded.spend_minor) == (1, 5_000)  # in the recipient's segment, as the redemption

    # Each reversal counts once however often it is handed over; a rebuild gives the same figures.
    await sql.fetch("UPDATE outbox_events SET status = 'pending' WHERE topic = 'ledger.points_reversed'")
    await _handle("ledger.points_reversed")
    await rollup.rebuild(day, next_day)
    [figures] = await metrics.partner_figures(shop.programme_id, day, next_day)
    assert (figures.redemptions, figures.spend_minor) == (1, 5_000)


async def test_a_reversal_counts_on_its_own_day_and_month(shop):
    asha, books = shop.people[0], shop.partners[1]
    offer = shop.offers[books.id][0]
    await ledger.earn(SYSTEM, shop.programme_id, asha, 1000)
    held = await ledger.reserve(SYSTEM, shop.programme_id, asha, 400, offer_id=offer.id)
    await ledger.confirm(SYSTEM, held.reservation.id)
    await ledger.reverse(SYSTEM, held.reservation.id)
    # The redemption as it was on an earlier day (a month before), the reversal today.
    [redeemed] = await sql.fetch("SELECT id, payload FROM outbox_events WHERE topic = 'ledger.points_redeemed'")
    payload = redeemed["payload"] if isinstance(redeemed["payload"], dict) else json.loads(redeemed["payload"])
    reversed_on = datetime.fromisoformat(payload["occurred_at"])
    earlier = reversed_on - timedelta(days=40)
    await ingestion.record_points_redeemed({**payload, "occurred_at": earlier.isoformat()})
    await _handle("ledger.points_reversed")

    [before] = await metrics.partner_figures(shop.programme_id, earlier.date(), earlier.date())
    assert (before.redemptions, before.spend_minor) == (1, 10_000)  # the past month stays as it was reviewed
    [after] = await metrics.partner_figures(shop.programme_id, reversed_on.date(), reversed_on.date())
    assert (after.redemptions, after.spend_minor) == (-1, -10_000)
    [whole] = await metrics.partner_figures(shop.programme_id, earlier.date(), reversed_on.date())
    assert (whole.redemptions, whole.spend_minor) == (0, 0)  # over both, nothing was redeemed


async def test_a_reversal_of_a_redemption_without_an_offer_records_nothing(shop):
    asha = shop.people[0]
    await ledger.earn(SYSTEM, shop.programme_id, asha, 1000)
    plain = await ledger.reserve(SYSTEM, shop.programme_id, asha, 100)
    await ledger.confirm(SYSTEM, plain.reservation.id)
    await ledger.reverse(SYSTEM, plain.reservation.id)
    assert await sql.fetch("SELECT id FROM outbox_events WHERE topic = 'ledger.points_reversed'") == []
