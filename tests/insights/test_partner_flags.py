"""Thresholds flag a partner at once — raised once (even by two evaluations at the same time), with
the figure and the threshold, as a ``partner.flagged`` event — and clear it when the figure recovers."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from review_steps import funnel

from backend.core import sql
from backend.core.audit import entity_history
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError
from backend.insights.reviews import flags, thresholds
from backend.insights.reviews.thresholds import ThresholdInput


def activation_below_20(shop, **overrides) -> ThresholdInput:
    values = {"programme_id": shop.programme_id, "metric": "activation_rate", "limit_value": 2000, "window_days": 30}
    return ThresholdInput(**(values | overrides))


async def flagged_events() -> list[dict]:
    rows = await sql.fetch("SELECT payload FROM outbox_events WHERE topic = 'partner.flagged' ORDER BY created_at")
    return [json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"] for row in rows]


async def test_bad_thresholds_are_refused_field_by_field_and_a_good_one_is_audited(shop, admin):
    with pytest.raises(DomainError) as refused:
        await thresholds.set_threshold(
            admin, ThresholdInput(shop.programme_id, "conversion", limit_value=0, window_days=0, min_views=-1)
        )
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("metric", "INVALID_METRIC"),
        ("window_days", "INVALID_WINDOW"),
        ("min_views", "INVALID_MIN_VIEWS"),
    }
    with pytest.raises(DomainError) as refused:
        await thresholds.set_threshold(admin, activation_below_20(shop, limit_value=12_000))
    assert refused.value.code == "INVALID_LIMIT" and "100 %" in str(refused.value)
    assert await thresholds.list_thresholds(admin, shop.programme_id) == []

    first = await thresholds.set_threshold(admin, activation_below_20(shop, category="  Dining "))
    changed = await thresholds.set_threshold(admin, activation_below_20(shop, category="dining", limit_value=2500))
    assert changed.id == first.id and changed.category == "dining" and changed.limit_value == 2500
    assert changed.words == "Activation rate below 25.0 % over 30 days (dining)"
    assert [t.id for t in await thresholds.list_thresholds(admin, shop.programme_id)] == [first.id]
    history = await entity_history(admin, "performance_threshold", first.id)
    assert [entry["action"] for entry in history] == ["performance_threshold.set", "performance_threshold.set"]
    assert history[0]["before"]["limit_value"] == 2000 and history[0]["after"]["limit_value"] == 2500


async def test_a_partner_is_flagged_at_once_once_and_cleared_when_it_recovers(shop, admin):
    chai, books = shop.partners[0].id, shop.partners[1].id
    await thresholds.set_threshold(admin, activation_below_20(shop, min_views=5))
    today = utcnow().date()
    await funnel(shop, 0, today, views=10, activations=1)  # 10 %: under 20 %
    await funnel(shop, 1, today, views=4)  # fewer views than the threshold's minimum: not judged

    assert (await flags.evaluate_partner(shop.programme_id, chai)).raised == 1
    [flag] = await flags.open_flags(admin, shop.programme_id)
    assert (flag.partner_id, flag.partner_name, flag.figure, flag.limit_value) == (chai, "Chai Point", 1000, 2000)
    assert flag.words == "Activation rate below 20.0 % over 30 days: 10.0 %"
    assert (await flags.evaluate_programme(shop.programme_id)).raised == 0  # once
    [event] = await flagged_events()
    assert event["partner_id"] == str(chai) and event["figure"] == 1000 and event["limit_value"] == 2000

    await funnel(shop, 0, today, views=10)  # 1 of 20, 5 %: still flagged, the figure follows
    await flags.evaluate_partner(shop.programme_id, chai)
    [flag] = await flags.open_flags(admin, partner_id=chai)
    assert (flag.figure, flag.last_figure) == (1000, 500)

    await funnel(shop, 0, today, activations=7)  # 8 of 20, 40 %: recovered
    assert (await flags.evaluate_partner(shop.programme_id, chai)).cleared == 1
    assert await flags.open_flags(admin, shop.programme_id) == []
    [history] = await flags.flag_history(admin, chai)
    assert history.cleared_at is not None and history.last_figure == 4000
    assert await flags.open_flags(admin, partner_id=books) == []

    await funnel(shop, 0, today, views=30)  # 8 of 50: down again, a new flag and a new event
    assert (await flags.sweep()).raised == 1
    assert len(await flagged_events()) == 2
    assert await flags.count_open_flags(admin) == 1


async def test_two_evaluations_at_the_same_time_raise_one_flag(shop, admin):
    await thresholds.set_threshold(admin, activation_below_20(shop))
    await funnel(shop, 0, utcnow().date(), views=10)
    results = await asyncio.gather(*(flags.evaluate_programme(shop.programme_id) for _ in range(4)))
    assert sum(result.raised for result in results) == 1
    assert len(await flags.open_flags(admin, shop.programme_id)) == 1
    assert len(await flagged_events()) == 1


async def test_days_without_a_redemption_and_a_category_s_threshold(shop, admin):
    today = utcnow().date()
    await thresholds.set_threshold(
        admin, activation_below_20(shop, metric="days_without_redemption", limit_value=14, window_days=30)
    )
    await thresholds.set_threshold(admin, activation_below_20(shop, metric="spend_share", limit_value=3000, category="books"))
    await funnel(shop, 0, today - timedelta(days=20), views=5, activations=2, redemptions=1, spend_minor=10_000)
    await funnel(shop, 1, today - timedelta(days=3), views=5, activations=2, redemptions=1, spend_minor=90_000)
    await flags.sweep()
    [flag] = await flags.open_flags(admin, shop.programme_id)
    # Chai Point: 20 days without a redemption; its 10 % spend share is judged by no threshold (books only).
    assert (flag.partner_name, flag.metric, flag.figure) == ("Chai Point", "days_without_redemption", 20)
    assert flag.words == "More than 14 days without a redemption: 20 days"

    await funnel(shop, 0, today, redemptions=1)
    assert (await flags.sweep()).cleared == 1
    removed = await thresholds.set_threshold(admin, activation_below_20(shop, limit_value=9000))
    await flags.sweep()
    assert {f.metric for f in await flags.open_flags(admin, shop.programme_id)} == {"activation_rate"}
    await thresholds.remove_threshold(admin, removed.id)
    assert await flags.open_flags(SYSTEM, shop.programme_id) == []


async def test_a_rollups_changed_event_judges_those_partners_at_once(shop, admin):
    from backend.core import outbox
    from backend.core.db import write_transaction
    from jobs.insight_reviews import HANDLERS

    await thresholds.set_threshold(admin, activation_below_20(shop))
    await funnel(shop, 0, utcnow().date(), views=10)
    await funnel(shop, 1, utcnow().date(), views=10)
    async with write_transaction():
        event_id = await outbox.add(
            "insights.rollups_changed", {"programme_id": str(shop.programme_id), "partner_ids": [str(shop.partners[0].id)]}
        )
    assert await outbox.process(event_id, HANDLERS) == "done"
    assert [flag.partner_name for flag in await flags.open_flags(admin, shop.programme_id)] == ["Chai Point"]


async def rollups_changed_events() -> list:
    return list(await sql.fetch("SELECT id, payload FROM outbox_events WHERE topic = 'insights.rollups_changed' ORDER BY id"))


async def test_new_figures_announce_themselves_and_flag_at_once_without_the_sweep(shop, admin):
    from backend.core import outbox
    from backend.deliveries.services.claims import CLAIM_VIEWED
    from jobs.insight_reviews import HANDLERS as REVIEW_HANDLERS
    from jobs.insights import HANDLERS as INSIGHT_HANDLERS

    today = utcnow().date()
    await funnel(shop, 0, today, views=3)  # no threshold yet: nothing to judge, nothing announced
    assert await rollups_changed_events() == []

    await thresholds.set_threshold(admin, activation_below_20(shop, min_views=5))
    await funnel(shop, 0, today, views=10, activations=1)  # 1 of 13: under 20 %
    [event] = await rollups_changed_events()  # written with the roll-up, in its transaction
    payload = event["payload"] if isinstance(event["payload"], dict) else json.loads(event["payload"])
    assert payload == {"programme_id": str(shop.programme_id), "partner_ids": [str(shop.partners[0].id)]}
    assert await flags.open_flags(admin, shop.programme_id) == []  # nothing judged yet: the event does it
    assert await outbox.process(event["id"], REVIEW_HANDLERS) == "done"
    [flag] = await flags.open_flags(admin, shop.programme_id)
    assert (flag.partner_name, flag.figure) == ("Chai Point", 769)

    # From an outbox handler (the claim page's view), the announcement commits with the handler's work.
    async with write_transaction():
        claim = await outbox.add(
            CLAIM_VIEWED,
            {
                "at": utcnow().isoformat(), "programme_id": str(shop.programme_id), "delivery_id": "d-1",
                "offer_id": str(shop.offers[shop.partners[1].id][0].id), "recipient_id": str(shop.people[0]),
            },
        )  # fmt: skip
    assert await outbox.process(claim, INSIGHT_HANDLERS) == "done"
    latest = (await rollups_changed_events())[-1]
    payload = latest["payload"] if isinstance(latest["payload"], dict) else json.loads(latest["payload"])
    assert payload["partner_ids"] == [str(shop.partners[1].id)]
