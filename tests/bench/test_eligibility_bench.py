"""Eligibility preview ("N of M recipients eligible") over 100,000 recipients on PostgreSQL.

Run with `make bench`. The budget (issue 4): under 1 s. Figures are the median of 3 after a warm-up,
on a fresh database loaded with COPY and then VACUUM ANALYZEd (DESIGN.md, "Benchmark hygiene");
beside them, a plain COUNT(*) of the same rows (the floor) and the service's own query sent
straight through asyncpg (the plain-SQL figure), and the ratio to pgbench TPC-B in the same run.
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import UTC, datetime

import asyncpg
from baseline import fresh_database, median_seconds, pgbench_tps, vacuum_analyze

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
RECIPIENTS = 100_000
BUDGET_S = 1.0
RULES = [
    "country in [IN, DE] and grade >= 5",
    'department == "Sales" or not (tenure < 1)',
    'business_unit not in ["Retail", "Logistics"] and is_manager == true and grade > 3 and tenure >= 2',
    'country in [IN, DE, US, GB, FR, BR, JP] and (grade >= 7 or department in [Sales, Marketing]) and not (location == "Remote")',
]


def _hr(rng: random.Random) -> dict:
    """HR attributes as an HR sync leaves them: most keys present, some missing."""
    hr = {
        "grade": rng.randint(1, 10),
        "department": rng.choice(["Sales", "Marketing", "R&D", "Finance", "Operations"]),
        "tenure": rng.randint(0, 25),
        "business_unit": rng.choice(["Retail", "Logistics", "Corporate", "Digital"]),
        "is_manager": rng.random() < 0.2,
        "location": rng.choice(["Remote", "Office", "Hybrid"]),
    }
    return {key: value for key, value in hr.items() if rng.random() > 0.1}


async def _load(url: str) -> None:
    from backend.core.db import close_pool, make_engine, use_engine
    from backend.core.ids import new_id
    from backend.core.migrate import migrate

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await close_pool(engine)
    rng = random.Random(4)
    connection = await asyncpg.connect(url)
    try:
        columns = [
            "id",
            "external_id",
            "full_name",
            "email",
            "country",
            "preferred_channel",
            "hr_attributes",
            "source_system",
            "status",
            "created_at",
            "updated_at",
        ]
        stamp = datetime.now(UTC)
        records = [
            (
                new_id(),
                f"B-{index:06}",
                f"Bench Person {index}",
                f"b{index}@example.com",
                rng.choice(["IN", "DE", "US", "GB", "FR", "BR", "JP", None]),
                "email",
                json.dumps(_hr(rng)),
                "workday",
                "active" if rng.random() > 0.05 else "inactive",
                stamp,
                stamp,
            )
            for index in range(RECIPIENTS)
        ]
        await connection.copy_records_to_table("recipients", records=records, columns=columns)
    finally:
        await connection.close()


async def test_eligibility_preview_over_100k_recipients():
    from backend.catalog import eligibility
    from backend.catalog.services.eligibility import preview_eligibility, preview_query
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine

    baseline = await pgbench_tps(SERVER)
    async with fresh_database(SERVER, "mirabelle_bench_eligibility") as url:
        await _load(url)
        await vacuum_analyze(url)
        engine = make_engine(url)
        use_engine(engine)
        await start_pool(engine)
        raw = await asyncpg.connect(url)
        try:
            floor, total = await median_seconds(lambda: raw.fetchval("SELECT COUNT(*) FROM recipients WHERE status = 'active'"))
            figures = []
            for rule in RULES:
                service_s, preview = await median_seconds(lambda rule=rule: preview_eligibility(SYSTEM, rule))
                query = preview_query(eligibility.parse(rule))
                plain_sql = query.sql
                for index in range(1, len(query.params) + 1):
                    plain_sql = plain_sql.replace("{}", f"${index}", 1)
                plain_s, plain_row = await median_seconds(lambda sql=plain_sql, params=query.params: raw.fetchrow(sql, *params))
                assert plain_row["eligible"] == preview.eligible and preview.total == total
                figures.append((rule, preview, service_s, plain_s))
            # For scale: the same decision made in Python, row by row, after fetching every row.
            rows = await raw.fetch(
                "SELECT country, preferred_channel, source_system, hr_attributes FROM recipients WHERE status = 'active'"
            )
            parsed = eligibility.parse(RULES[0])
            started = time.perf_counter()
            in_python = sum(
                eligibility.evaluate(
                    parsed,
                    eligibility.recipient_attributes(
                        json.loads(row["hr_attributes"]),
                        country=row["country"],
                        preferred_channel=row["preferred_channel"],
                        source_system=row["source_system"],
                    ),
                )
                for row in rows
            )
            python_s = time.perf_counter() - started
            assert in_python == figures[0][1].eligible
        finally:
            await raw.close()
            await close_pool(engine)

    print(f"\n\npgbench TPC-B-like, 8 clients (median of 3): {baseline:,.0f} tps")
    print(f"recipients: {RECIPIENTS:,} loaded, {total:,} active; plain COUNT(*) of the active ones: {floor * 1000:.1f} ms\n")
    print(f"{'rule':<62} {'eligible':>9} {'service ms':>11} {'plain SQL ms':>13} {'previews/s':>11} {'× TPC-B':>8}")
    for rule, preview, service_s, plain_s in figures:
        label = rule if len(rule) <= 60 else rule[:57] + "..."
        print(
            f"{label:<62} {preview.eligible:>9,} {service_s * 1000:>11.1f} {plain_s * 1000:>13.1f} {1 / service_s:>11.1f} {1 / service_s / baseline:>8.4f}"
        )
    print(f"\nthe first rule in Python over the fetched rows (not counting the fetch): {python_s * 1000:.0f} ms")
    for rule, _, service_s, _ in figures:
        assert service_s < BUDGET_S, f"{rule}: {service_s:.3f} s over the {BUDGET_S} s budget"
