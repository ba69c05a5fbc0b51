"""The performance dashboard on PostgreSQL: one view of it (the funnel per partner, the trend, a
comparison — three metrics queries) and the segment filters' options (five breakdowns), over a
year of daily roll-ups for 500 partners, as the console reads them for a set of filters.

Run with `make bench`. The roll-ups are loaded as the insights bench loads them (730,000 cells);
beside each figure, pgbench TPC-B in the same run."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
from baseline import fresh_database, median_seconds, pgbench_tps, vacuum_analyze
from test_insights_bench import OFFERS_PER_PARTNER, PARTNERS, SERVER, YEAR_END, YEAR_START, load_rollups

VIEW_BUDGET_S = 0.9  # three queries of the 300 ms budget each
REPEATS = 3


async def median_time(call) -> float:
    return (await median_seconds(call, REPEATS))[0]


async def test_a_dashboard_view_over_a_year_of_roll_ups():
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.recipients import services as recipients
    from ui.pages.insights.dashboard_data import DashboardFilters, load, segment_choices

    baseline = await pgbench_tps(SERVER)
    async with fresh_database(SERVER, "mirabelle_bench_dashboard") as url:
        engine = make_engine(url)
        use_engine(engine)
        await migrate()
        await start_pool(engine, max_size=4)
        raw = await asyncpg.connect(url)
        try:
            programme = (await recipients.create_programme(SYSTEM, "Dashboard", "INR", "0.25")).id
            partners = [uuid.uuid4() for _ in range(PARTNERS)]
            await load_rollups(raw, programme, partners)
            cells = await raw.fetchval("SELECT COUNT(*) FROM insight_daily WHERE programme_id = $1", programme)
            await vacuum_analyze(url)
            year = DashboardFilters(programme, YEAR_START, YEAR_END, compare_by="business_unit")
            quarter = DashboardFilters(programme, date(2026, 10, 3), YEAR_END, compare_by="category")
            segment = DashboardFilters(programme, YEAR_START, YEAR_END, {"country": "IN"}, "month", "department")
            drill = DashboardFilters(programme, YEAR_START, YEAR_END, partner_id=partners[0])
            figures = {
                "view, a year, by business unit": await median_time(lambda: load(SYSTEM, year)),
                "view, 90 days, by category": await median_time(lambda: load(SYSTEM, quarter)),
                "view, a year, country IN, by dept": await median_time(lambda: load(SYSTEM, segment)),
                "view, a year, + one partner's offers": await median_time(lambda: load(SYSTEM, drill)),
                "segment options, a year": await median_time(lambda: segment_choices(year)),
            }
        finally:
            await raw.close()
            await close_pool(engine)

    print(f"\n\npgbench TPC-B-like, 8 clients (median of 3): {baseline:,.0f} tps")
    print(f"dashboard over {cells:,} roll-up cells ({PARTNERS} partners × {OFFERS_PER_PARTNER} offers × 365 days × 2 segments)")
    print(f"{'read':<40} {'ms':>8} {'views/s × TPC-B':>16}")
    for name, seconds in figures.items():
        print(f"{name:<40} {seconds * 1000:>8.1f} {1 / seconds / baseline:>16.4f}")
    assert figures["view, a year, by business unit"] < VIEW_BUDGET_S
