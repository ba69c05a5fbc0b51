"""On PostgreSQL, insight_events is partitioned by month: partitions are created ahead, and events
that waited in the default partition move into their month's partition when it is created."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.core import sql
from backend.insights import events, metrics, partitions
from backend.insights.events import PerformanceEvent


def viewed(shop, ref: str, at: datetime) -> PerformanceEvent:
    partner_id = shop.partners[0].id
    return PerformanceEvent(
        kind="viewed", occurred_at=at, programme_id=shop.programme_id, source="test", source_ref=ref,
        offer_id=shop.offers[partner_id][0].id, recipient_id=shop.people[0],
    )  # fmt: skip


async def rows_in(table: str) -> int:
    return (await sql.fetchrow(f"SELECT COUNT(*) AS n FROM {table}"))["n"]


async def test_partitions_are_created_ahead_and_take_over_the_default_rows(db, shop):
    if db.kind != "postgres":
        assert await partitions.ensure_ahead(date(2026, 12, 7)) == []
        pytest.skip("SQLite keeps insight_events as one plain table")
    await events.record_events(
        [viewed(shop, "early", datetime(2026, 3, 9, tzinfo=UTC)), viewed(shop, "later", datetime(2026, 4, 1, tzinfo=UTC))]
    )
    assert await rows_in("insight_events_default") == 2

    created = await partitions.ensure_ahead(date(2026, 3, 15), months_ahead=2)
    assert created == ["insight_events_y2026m03", "insight_events_y2026m04", "insight_events_y2026m05"]
    assert await partitions.ensure_ahead(date(2026, 3, 15), months_ahead=2) == []  # idempotent
    assert (
        await rows_in("insight_events_default"),
        await rows_in("insight_events_y2026m03"),
        await rows_in("insight_events_y2026m04"),
    ) == (0, 1, 1)
    kind = await sql.fetchrow("SELECT relkind::text AS relkind FROM pg_class WHERE relname = 'insight_events'")
    assert kind["relkind"] == "p"

    # New events go straight to their partition, a replay still counts once, and the figures hold.
    await events.record_events(
        [viewed(shop, "may", datetime(2026, 5, 31, 23, 59, tzinfo=UTC)), viewed(shop, "early", datetime(2026, 3, 9, tzinfo=UTC))]
    )
    assert (await rows_in("insight_events_y2026m05"), await rows_in("insight_events_default")) == (1, 0)
    [figures] = await metrics.partner_figures(shop.programme_id, date(2026, 3, 1), date(2026, 5, 31))
    assert figures.views == 3


def test_only_a_monthly_partition_name_goes_into_a_statement():
    assert partitions.quoted_partition("insight_events_y2026m03") == '"insight_events_y2026m03"'
    for name in ("insight_events", "insight_events_y2026m13", 'insight_events_y2026m03"; DROP TABLE x; --', "users"):
        with pytest.raises(ValueError, match="not a monthly partition"):
            partitions.quoted_partition(name)
    assert partitions._bound(datetime(2026, 3, 1, tzinfo=UTC)) == "'2026-03-01 00:00:00+00'"
    with pytest.raises(ValueError, match="UTC midnight"):
        partitions._bound(datetime(2026, 3, 1, 12, tzinfo=UTC))
