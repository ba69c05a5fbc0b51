"""``mirabelle insights``: rebuild a period's roll-ups from the events (announcing the partners
whose figures it rebuilt, as the roll-up does), set a day's rate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime

from backend.core import sql
from backend.core.clock import utcnow
from backend.insights import events, fx, metrics
from backend.insights.events import PerformanceEvent

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mirabelle(tmp_path, db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIRABELLE_")}
    env.update(MIRABELLE_VAR_DIR=str(tmp_path / "var"), MIRABELLE_DATABASE_URL=db_url, COLUMNS="200", PYTHONPATH=REPOSITORY)
    env["MIRABELLE_SECRET_KEY"] = os.environ["MIRABELLE_SECRET_KEY"]  # the codes' keyed digests depend on it
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
    )


async def test_rebuild_restores_the_figures_of_a_period_and_fx_rate_is_set(db, shop, tmp_path):
    partner_id = shop.partners[0].id
    facts = [
        PerformanceEvent(
            kind="viewed", occurred_at=datetime(2026, month, 3, tzinfo=UTC), programme_id=shop.programme_id,
            source="test", source_ref=f"v-{month}", offer_id=shop.offers[partner_id][0].id, recipient_id=shop.people[0],
        )
        for month in (1, 2, 3)
    ]  # fmt: skip
    await events.record_events(facts)
    before = await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 3, 31))
    await sql.fetch("DELETE FROM insight_daily")  # lost, or never kept: the events are the truth
    await sql.fetch("DELETE FROM insight_partner_daily")

    rebuilt = mirabelle(tmp_path, db.url, "insights", "rebuild", "--from", "2026-01-01", "--to", "2026-03-31")
    assert rebuilt.returncode == 0, rebuilt.stderr + rebuilt.stdout
    assert "3 roll-up cells rebuilt" in rebuilt.stdout + rebuilt.stderr
    assert await metrics.partner_figures(shop.programme_id, date(2026, 1, 1), date(2026, 3, 31)) == before

    rate = mirabelle(
        tmp_path, db.url, "insights", "fx-rate", "--day", "2026-01-01", "--base", "eur", "--quote", "INR", "--rate", "90.25"
    )
    assert rate.returncode == 0, rate.stderr + rate.stdout
    assert await fx.rate_on(date(2026, 2, 1), "EUR", "INR") == fx.Decimal("90.25")
    refused = mirabelle(
        tmp_path, db.url, "insights", "fx-rate", "--day", "2026-01-01", "--base", "EUR", "--quote", "INR", "--rate", "-1"
    )
    assert refused.returncode == 2 and "positive decimal" in refused.stdout + refused.stderr


async def test_rebuild_announces_the_rebuilt_partners_as_the_roll_up_does_and_they_are_judged(db, shop, admin, tmp_path):
    from backend.core import outbox
    from backend.insights.reviews import flags, thresholds
    from backend.insights.reviews.thresholds import ThresholdInput
    from jobs.insight_reviews import HANDLERS

    chai = shop.partners[0]
    await thresholds.set_threshold(
        admin, ThresholdInput(shop.programme_id, "activation_rate", limit_value=2000, window_days=30, min_views=5)
    )
    today = utcnow().date()
    facts = [
        PerformanceEvent(
            kind="viewed", occurred_at=utcnow(), programme_id=shop.programme_id, source="test", source_ref=f"v-{n}",
            offer_id=shop.offers[chai.id][0].id, recipient_id=shop.people[0],
        )
        for n in range(6)
    ]  # fmt: skip
    await events.record_events(facts)
    # The roll-up's own announcement is lost (say, handled before the threshold was set) and the
    # figures are rebuilt: the rebuild announces them again, in its transaction.
    await sql.fetch("DELETE FROM outbox_events WHERE topic = 'insights.rollups_changed'")

    rebuilt = mirabelle(tmp_path, db.url, "insights", "rebuild", "--from", today.isoformat(), "--to", today.isoformat())
    assert rebuilt.returncode == 0, rebuilt.stderr + rebuilt.stdout
    rows = await sql.fetch("SELECT id, payload FROM outbox_events WHERE topic = 'insights.rollups_changed' ORDER BY id")
    assert len(rows) == 1
    payload = rows[0]["payload"] if isinstance(rows[0]["payload"], dict) else json.loads(rows[0]["payload"])
    assert payload == {"programme_id": str(shop.programme_id), "partner_ids": [str(chai.id)]}  # what the roll-up writes
    assert await outbox.process(rows[0]["id"], HANDLERS) == "done"
    [flag] = await flags.open_flags(admin, shop.programme_id)
    assert (flag.partner_id, flag.figure) == (chai.id, 0)  # 6 views, no activation
