"""A promotional push to a segment of 100,000 recipients on PostgreSQL (issue 19's corrective
actions): the preview, writing the push (one message per recipient), and the worker's sending
through the sandbox provider, batch after batch.

Run with `make bench`. Fresh database, recipients loaded with COPY then VACUUM ANALYZEd; beside the
figures, the same number of message rows written by one plain multi-row INSERT through asyncpg
(the floor of the write) and the ratio to pgbench TPC-B in the same run.
"""

from __future__ import annotations

import os
import time

import asyncpg
from baseline import fresh_database, pgbench_tps, vacuum_analyze
from test_eligibility_bench import _load  # the same 100,000 recipients as the eligibility bench

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
SEGMENT = 'business_unit == "Retail"'


async def test_a_promotional_push_to_a_large_segment():
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.deliveries.services import announcements
    from backend.insights.actions.services import promotion
    from backend.recipients import services as recipients

    baseline = await pgbench_tps(SERVER)
    async with fresh_database(SERVER, "mirabelle_bench_promotion") as url:
        await _load(url)
        await vacuum_analyze(url)
        engine = make_engine(url)
        use_engine(engine)
        await start_pool(engine)
        raw = await asyncpg.connect(url)
        try:
            programme = await recipients.create_programme(SYSTEM, "Bench programme", "INR", "0.25")
            started = time.perf_counter()
            preview = await promotion.preview_promotion(SYSTEM, SEGMENT)
            preview_s = time.perf_counter() - started
            started = time.perf_counter()
            action = await promotion.send_promotion(
                SYSTEM, programme.id, SEGMENT, "New for you", "Hello {{ recipient_name }}", expected_recipients=preview.recipients
            )
            write_s = time.perf_counter() - started
            started, batches = time.perf_counter(), 0
            while True:
                view, _ = await announcements.send_batch(action.announcement_id, limit=500)
                batches += 1
                if view.status == "sent":
                    break
            send_s = time.perf_counter() - started
            kept = await raw.fetchval("SELECT COUNT(*) FROM sandbox_messages")
            assert view.sent == preview.recipients == kept
            await raw.execute("CREATE TEMP TABLE floor (LIKE delivery_announcement_messages)")
            rows = await raw.fetch("SELECT * FROM delivery_announcement_messages")
            started = time.perf_counter()
            await raw.copy_records_to_table("floor", records=[tuple(row.values()) for row in rows])
            floor_s = time.perf_counter() - started
        finally:
            await raw.close()
            await close_pool(engine)

    messages = preview.recipients
    print(f"\n\npgbench TPC-B-like, 8 clients (median of 3): {baseline:,.0f} tps")
    print(f"segment {SEGMENT}: {messages:,} of {preview.total:,} active recipients; preview {preview_s * 1000:.0f} ms")
    print(
        f"writing the push: {write_s:.2f} s ({messages / write_s:,.0f} messages/s, × TPC-B {messages / write_s / baseline:.2f}); "
        f"the same rows by COPY: {floor_s:.2f} s ({messages / floor_s:,.0f}/s)"
    )
    print(
        f"sending through the sandbox in {batches} batches: {send_s:.1f} s "
        f"({messages / send_s:,.0f} messages/s, × TPC-B {messages / send_s / baseline:.3f})"
    )
