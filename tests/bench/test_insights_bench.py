"""Partner performance on PostgreSQL: ingesting and rolling up events, and the dashboard's queries
over a year of daily roll-ups for 500 partners.

Run with `make bench`. Targets (issue 19): ingest and roll up 10 million events (events per
second; ``MIRABELLE_BENCH_INSIGHT_EVENTS``, default 10,000,000 — a smaller number for a quick run);
the dashboard's queries (partner_figures, trend) < 300 ms over a year for 500 partners.

Ingestion goes through the service's bulk path (``events.record_events``: on PostgreSQL each
batch is COPYed into a temporary table, then one statement writes the new keys and events and
sums their cells, and four upserts add the cells to the roll-ups), several batches at once, as
the worker's concurrent jobs would; the clock runs only while they record (the facts are made
beforehand, a chunk at a time). The roll-ups of the query part are loaded
straight with generate_series (a year × 500 partners × 2 offers × 2 segments = 730,000 cells), and
their 182,500 partner-days and the months from them.
Beside each figure: pgbench TPC-B in the same run, and the same aggregate as plain SQL.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
from baseline import fresh_database, median_seconds, pgbench_tps, vacuum_analyze

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
EVENTS = int(os.environ.get("MIRABELLE_BENCH_INSIGHT_EVENTS", "10000000"))
BATCH = 5_000  # events a transaction
WRITERS = 4  # batches in flight at once
CHUNK = 50  # batches made before each timed stretch (250,000 facts, about 200 MB)
PARTNERS = 500
OFFERS_PER_PARTNER = 2
YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)
QUERY_BUDGET_S = 0.3
SEGMENTS = [
    ("IN", "Retail", "Sales", "5", "Pune"),
    ("IN", "Logistics", "Ops", "3", "Mumbai"),
    ("DE", "Retail", "Sales", "", "Berlin"),
]


def _facts(programme_id, offers, count: int, seed: int):
    """``count`` events spread over the year, kinds in funnel proportions, a tenth of them late
    (recorded among the events of a later day)."""
    from backend.insights.events import PerformanceEvent
    from backend.insights.segments import Segment

    rng = random.Random(seed)
    segments = [Segment(*values) for values in SEGMENTS]
    start = datetime.combine(YEAR_START, datetime.min.time(), tzinfo=UTC)
    for index in range(count):
        partner_id, offer_id = rng.choice(offers)
        draw = rng.random()
        kind = "viewed" if draw < 0.6 else "activated" if draw < 0.85 else "redeemed" if draw < 0.95 else "spend"
        yield PerformanceEvent(
            kind=kind, occurred_at=start + timedelta(seconds=rng.randrange(365 * 86400)), programme_id=programme_id,
            source="bench", source_ref=f"{seed}-{index}", partner_id=partner_id, offer_id=offer_id,
            segment=rng.choice(segments), value_minor=50000 if kind == "spend" else None,
            currency="INR" if kind == "spend" else None,
        )  # fmt: skip


async def _ingest(programme_id, offers) -> float:
    """Seconds spent recording, ``WRITERS`` batches at once. The facts are made ``CHUNK`` batches
    at a time with the clock stopped: making them (about 12 µs a fact) is the bench's cost, not
    the product's, and would otherwise hold the one event loop the writers need."""
    facts = _facts(programme_id, offers, EVENTS, seed=19)
    spent = 0.0
    while batches := [batch for batch in (list(itertools.islice(facts, BATCH)) for _ in range(CHUNK)) if batch]:
        started = time.perf_counter()
        await _write(batches)
        spent += time.perf_counter() - started
    return spent


async def _write(batches: list[list]) -> None:
    from backend.insights import events

    pending = iter(batches)  # shared: each writer takes the next batch when it is free

    async def writer():
        for batch in pending:
            await events.record_events(batch)

    await asyncio.gather(*(writer() for _ in range(WRITERS)))


_LOAD_ROLLUPS = """
INSERT INTO insight_daily (programme_id, day, partner_id, offer_id, country, business_unit, department, grade, location,
                           views, activations, redemptions, spend_minor)
SELECT $1, day::date, partner.id, offer.id, segment.country, segment.business_unit, '', '', segment.location,
       (hashtext(partner.id::text || day::text) & 255) + 20, (hashtext(offer.id::text || day::text) & 63) + 5,
       (hashtext(day::text || offer.id::text) & 15), ((hashtext(day::text || partner.id::text) & 15)) * 50000
FROM generate_series($2::date, $3::date, interval '1 day') AS day,
     unnest($4::uuid[]) AS partner(id),
     LATERAL (SELECT gen_random_uuid() AS id FROM generate_series(1, $5)) AS offer,
     (VALUES ('IN', 'Retail', 'Pune'), ('DE', 'Logistics', 'Berlin')) AS segment(country, business_unit, location)
"""


async def load_rollups(raw, programme_id, partners) -> None:
    """The year's daily cells straight, then the partner days and months they add up to (the
    rebuild's own second half)."""
    from backend.insights import rollup

    await raw.execute(_LOAD_ROLLUPS, programme_id, YEAR_START, YEAR_END, partners, OFFERS_PER_PARTNER)
    await rollup.add_up_days(YEAR_START, YEAR_END, programme_id)


_PLAIN_PARTNERS = (
    "SELECT partner_id, SUM(views), SUM(activations), SUM(redemptions), SUM(spend_minor) FROM insight_partner_daily "
    "WHERE programme_id = $1 AND day >= $2 AND day <= $3 GROUP BY partner_id"
)


async def test_ingest_roll_up_and_dashboard_queries():
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.insights import metrics, partitions, rollup
    from backend.insights.segments import Segment
    from backend.recipients import services as recipients

    baseline = await pgbench_tps(SERVER)
    async with fresh_database(SERVER, "mirabelle_bench_insights") as url:
        engine = make_engine(url)
        use_engine(engine)
        await migrate()
        await start_pool(engine, max_size=WRITERS + 2)
        raw = await asyncpg.connect(url)
        try:
            await partitions.ensure_partitions(YEAR_START, YEAR_END)
            ingest_programme = (await recipients.create_programme(SYSTEM, "Ingest", "INR", "0.25")).id
            offers = [(uuid.uuid4(), uuid.uuid4()) for _ in range(PARTNERS)]
            offers = [(partner, uuid.uuid4()) for partner, _ in offers for _ in range(OFFERS_PER_PARTNER)]
            ingest_s = await _ingest(ingest_programme, offers)
            stored = await raw.fetchval("SELECT COUNT(*) FROM insight_events")
            cells = await raw.fetchval("SELECT COUNT(*) FROM insight_daily WHERE programme_id = $1", ingest_programme)
            incremental = await raw.fetchval("SELECT SUM(views + activations + redemptions) FROM insight_daily")
            incremental_partners = await raw.fetchval("SELECT SUM(views + activations + redemptions) FROM insight_partner_daily")
            rebuild_started = time.perf_counter()
            await rollup.rebuild_months(YEAR_START, YEAR_END, ingest_programme)
            rebuild_s = time.perf_counter() - rebuild_started
            rebuilt = await raw.fetchval("SELECT SUM(views + activations + redemptions) FROM insight_daily")

            dashboard = (await recipients.create_programme(SYSTEM, "Dashboard", "INR", "0.25")).id
            partners = [uuid.uuid4() for _ in range(PARTNERS)]
            await load_rollups(raw, dashboard, partners)
            rollup_rows = await raw.fetchval("SELECT COUNT(*) FROM insight_daily WHERE programme_id = $1", dashboard)
            await vacuum_analyze(url)
            figures = {}
            year = (dashboard, YEAR_START, YEAR_END)
            figures["partner_figures, a year"] = await median_seconds(lambda: metrics.partner_figures(*year))
            figures["partner_figures, 30 days"] = await median_seconds(
                lambda: metrics.partner_figures(dashboard, date(2026, 12, 1), YEAR_END)
            )
            figures["partner_figures, a year, country IN"] = await median_seconds(
                lambda: metrics.partner_figures(*year, Segment(country="IN"))
            )
            figures["partner_figures, Jan 15 - Dec 15"] = await median_seconds(
                lambda: metrics.partner_figures(dashboard, date(2026, 1, 15), date(2026, 12, 15))
            )
            figures["partner_figures, Jan 15 - Dec 15, IN"] = await median_seconds(
                lambda: metrics.partner_figures(dashboard, date(2026, 1, 15), date(2026, 12, 15), Segment(country="IN"))
            )
            figures["partner_figures, a year, business unit"] = await median_seconds(
                lambda: metrics.partner_figures(*year, Segment(business_unit="Retail"))
            )
            figures["trend by week, a year"] = await median_seconds(lambda: metrics.trend(*year, "week"))
            figures["trend by month, a year"] = await median_seconds(lambda: metrics.trend(*year, "month"))
            figures["trend by month, one partner"] = await median_seconds(
                lambda: metrics.trend(*year, "month", partner_id=partners[0])
            )
            figures["offer_figures, one partner"] = await median_seconds(
                lambda: metrics.offer_figures(dashboard, partners[0], YEAR_START, YEAR_END)
            )
            plain_s, _ = await median_seconds(lambda: raw.fetch(_PLAIN_PARTNERS, *year))
        finally:
            await raw.close()
            await close_pool(engine)

    print(f"\n\npgbench TPC-B-like, 8 clients (median of 3): {baseline:,.0f} tps")
    rate = EVENTS / ingest_s
    print(
        f"ingest + incremental roll-up: {EVENTS:,} events ({stored:,} stored, {cells:,} cells) in {ingest_s:.1f} s = "
        f"{rate:,.0f} events/s ({rate / baseline:.2f} × TPC-B tps); batches of {BATCH:,}, {WRITERS} at once"
    )
    print(f"rebuild of the year from the events: {rebuild_s:.1f} s ({stored / rebuild_s:,.0f} events/s)")
    print(
        f"\ndashboard over {rollup_rows:,} roll-up cells ({PARTNERS} partners × {OFFERS_PER_PARTNER} offers × 365 days × 2 segments)"
    )
    print(f"{'query':<40} {'ms':>8} {'rows':>6} {'q/s × TPC-B':>12}")
    for name, (seconds, rows) in figures.items():
        print(f"{name:<40} {seconds * 1000:>8.1f} {len(rows):>6} {1 / seconds / baseline:>12.4f}")
    print(f"{'plain SQL: partners over a year':<40} {plain_s * 1000:>8.1f}")
    assert stored == EVENTS and incremental == rebuilt == incremental_partners
    for name in ("partner_figures, a year", "trend by week, a year"):
        assert figures[name][0] < QUERY_BUDGET_S, f"{name}: {figures[name][0]:.3f} s"
