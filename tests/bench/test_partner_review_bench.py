"""Partner-performance reviews over a year of daily roll-ups for 500 partners on PostgreSQL: the
flags sweep (what the minute cron runs: four thresholds, every partner judged) and starting a
month's review (every partner's month against the month before, written as the review's lines).

Run with `make bench`. No budget in the issue for these; the sweep must stay well inside the
minute between two crons and a review start inside a job's 30 s. A fresh database loaded with COPY
and VACUUM ANALYZEd; figures are the median of 3 after a warm-up, beside the roll-up query the
metrics run sent straight through asyncpg (the plain-SQL figure) and the ratio to pgbench TPC-B
in the same run.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import asyncpg
from baseline import fresh_database, median_seconds, pgbench_tps, vacuum_analyze

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
PARTNERS = 500
DAYS = 365
SEGMENTS = (("IN", "Retail"), ("IN", "Logistics"), ("DE", "Retail"))
SWEEP_BUDGET_S = 30.0  # half the minute between two sweeps
REVIEW_BUDGET_S = 15.0  # half a job's timeout
TODAY = date(2026, 12, 7)

PARTNER_COLUMNS = [
    "id", "name", "name_key", "source", "category", "countries", "reward_types", "audience_fit", "contacts", "status",
    "created_at", "updated_at", "created_by", "created_by_label",
]  # fmt: skip
DAILY_COLUMNS = [
    "day", "programme_id", "partner_id", "offer_id", "country", "business_unit", "department", "grade", "location",
    "views", "activations", "redemptions", "spend_minor",
]  # fmt: skip
# What metrics.partner_figures sends for a period: the roll-up's sums per partner.
PLAIN = """SELECT partner_id, SUM(views), SUM(activations), SUM(redemptions), SUM(spend_minor) FROM insight_daily
WHERE programme_id = $1 AND day >= $2 AND day <= $3 GROUP BY partner_id"""


async def _load(url: str, programme_id) -> list:
    from backend.core.ids import new_id

    rng = random.Random(19)
    now = datetime(2026, 12, 7, tzinfo=UTC)
    categories = ["dining", "travel", "books", "wellness", "electronics"]
    partners = [new_id() for _ in range(PARTNERS)]
    partner_rows = [
        (pid, f"Partner {n}", f"partner {n}", "network", categories[n % 5], "[]", "[]", "", "[]", "live", now, now, None, "bench")
        for n, pid in enumerate(partners)
    ]
    daily = []
    for n, partner_id in enumerate(partners):
        offer_id = new_id()
        conversion = 0.05 + 0.5 * rng.random()  # some partners convert far below 20 %
        quiet_from = DAYS - rng.randint(0, 40) if n % 7 == 0 else DAYS  # a few stopped redeeming
        for day_index in range(DAYS):
            day = TODAY - timedelta(days=DAYS - 1 - day_index)
            for country, unit in SEGMENTS:
                views = rng.randint(0, 40)
                activations = int(views * conversion)
                redemptions = activations // 2 if day_index < quiet_from else 0
                daily.append(
                    (day, programme_id, partner_id, offer_id, country, unit, "", "", "", views, activations, redemptions,
                     redemptions * rng.randint(20_000, 90_000))
                )  # fmt: skip
    connection = await asyncpg.connect(url)
    try:
        await connection.copy_records_to_table("partners", records=partner_rows, columns=PARTNER_COLUMNS)
        await connection.copy_records_to_table("insight_daily", records=daily, columns=DAILY_COLUMNS)
    finally:
        await connection.close()
    return partners


async def test_flags_sweep_and_review_start_over_a_year_for_500_partners():
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.insights import rollup
    from backend.insights.reviews import flags, reviews, thresholds
    from backend.insights.reviews.thresholds import ThresholdInput
    from backend.recipients import services as recipients

    baseline = await pgbench_tps(SERVER)
    async with fresh_database(SERVER, "mirabelle_bench_reviews") as url:
        engine = make_engine(url)
        use_engine(engine)
        await migrate()
        await start_pool(engine)
        raw = await asyncpg.connect(url)
        try:
            programme = await recipients.create_programme(SYSTEM, "Bench", "INR", "0.25")
            await _load(url, programme.id)
            # The partner days and the months, as the rebuild adds them up from the daily cells.
            await rollup.add_up_days(TODAY - timedelta(days=DAYS), TODAY, programme.id)
            await vacuum_analyze(url)
            for metric, limit, window in (
                ("activation_rate", 2000, 30),
                ("redemption_rate", 3000, 30),
                ("spend_share", 5, 90),
                ("days_without_redemption", 14, 30),
            ):
                await thresholds.set_threshold(SYSTEM, ThresholdInput(programme.id, metric, limit, window))
            rows = await raw.fetch("SELECT COUNT(*) AS n FROM insight_daily")
            first_sweep = time.perf_counter()
            raised = await flags.evaluate_programme(programme.id, today=TODAY)
            first_sweep_s = time.perf_counter() - first_sweep
            sweep_s, steady = await median_seconds(lambda: flags.evaluate_programme(programme.id, today=TODAY))
            one_s, _ = (
                await median_seconds(lambda: flags.evaluate_partner(programme.id, raised_partner, today=TODAY))
                if (raised_partner := await _a_flagged_partner(raw))
                else (0.0, None)
            )
            plain_s, _ = await median_seconds(lambda: raw.fetch(PLAIN, programme.id, TODAY - timedelta(days=29), TODAY))
            starts = []
            for month in ("2026-11", "2026-10", "2026-09"):
                started = time.perf_counter()
                made = await reviews.start_review(SYSTEM, programme.id, month)
                starts.append(time.perf_counter() - started)
                assert made.created and made.review.partner_count == PARTNERS
            review_s = statistics.median(starts)
            open_flags = await raw.fetchval("SELECT COUNT(*) FROM partner_flags WHERE cleared_at IS NULL")
        finally:
            await raw.close()
            await close_pool(engine)

    print(f"\n\npgbench TPC-B-like, 8 clients (median of 3): {baseline:,.0f} tps")
    print(f"insight_daily: {rows[0]['n']:,} rows ({PARTNERS} partners × {DAYS} days × {len(SEGMENTS)} segments)")
    print(f"first sweep: {raised.raised} flags raised in {first_sweep_s:.2f} s; open flags: {open_flags}")
    print(f"{'operation':<44} {'ms':>9} {'× plain SQL':>12} {'per s × TPC-B':>14}")
    for name, seconds in (
        ("sweep: 4 thresholds × 500 partners (steady)", sweep_s),
        ("evaluate one partner (after its roll-ups)", one_s),
        ("start a month's review (500 lines)", review_s),
        ("plain SQL: 30 days' sums per partner", plain_s),
    ):
        print(f"{name:<44} {seconds * 1000:>9.1f} {seconds / plain_s:>12.1f} {1 / seconds / baseline:>14.4f}")
    assert steady.raised == 0  # a second sweep raises nothing twice
    assert sweep_s < SWEEP_BUDGET_S and review_s < REVIEW_BUDGET_S


async def _a_flagged_partner(raw):
    return await raw.fetchval("SELECT partner_id FROM partner_flags WHERE cleared_at IS NULL LIMIT 1")
