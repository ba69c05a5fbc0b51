"""The Deliveries list (failed first, then newest; each filter; keyset pages that neither repeat
nor skip), the success rates per channel and provider, an upload's counts, the copied upload and
issue time, and the listing's index in the query plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from delivery_steps import QUICK, Programme, delivery_row, handle, messaging, person
from messaging_provider import INVALID_NUMBER

from backend.core import sql
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.deliveries.services import listing, sending, statistics
from backend.deliveries.services.listing import DeliveryFilter
from backend.rewards.services.summaries import upload_of, upload_source_event


async def some_deliveries(admin, shop, count: int, prefix: str = "L") -> list:
    ids = []
    for index in range(count):
        issuance_id = await shop.issue((await person(f"{prefix}-{index}", email=f"{prefix.lower()}{index}@example.com")).id)
        await handle(issuance_id)
        ids.append((await delivery_row(issuance_id))["id"])
    return ids


async def walk(admin, delivery_filter: DeliveryFilter, page: int) -> list:
    seen, after = [], None
    while True:
        rows = await listing.deliveries_after(admin, delivery_filter, after, page)
        seen.extend(row.id for row in rows)
        if len(rows) < page:
            return seen
        after = listing.delivery_key(rows[-1])


async def test_failed_first_then_newest_in_pages_that_neither_repeat_nor_skip(admin):
    shop = await Programme(admin).start()
    ids = await some_deliveries(admin, shop, 7)
    failed = [ids[1], ids[4]]
    for delivery_id in failed:
        await sql.fetch("UPDATE deliveries SET status = 'failed', failure_code = 'HARD_BOUNCE' WHERE id = $1", delivery_id)
    expected = [ids[4], ids[1], *[i for i in reversed(ids) if i not in failed]]
    assert [row.id for row in await listing.deliveries_after(admin, DeliveryFilter())] == expected
    for page in (1, 2, 3):
        assert await walk(admin, DeliveryFilter(), page) == expected
    assert await listing.count_deliveries(admin, DeliveryFilter()) == 7
    key = listing.delivery_key((await listing.deliveries_after(admin, DeliveryFilter(), limit=1))[0])
    assert listing.DeliveryKey.parse(str(key)) == key


async def test_each_filter(admin, messaging_provider):
    shop = await Programme(admin).start()
    server = messaging_provider([INVALID_NUMBER])
    await messaging(admin, shop, server)
    emails = await some_deliveries(admin, shop, 2)
    sms_issuance = await shop.issue((await person("S-1", phone="+919812345678", preferred_channel="sms")).id)
    await handle(sms_issuance)
    sms = (await delivery_row(sms_issuance))["id"]
    assert (await sending.send_delivery(sms, QUICK)).status == "failed"  # INVALID_NUMBER, by http_messaging
    assert (await sending.send_delivery(emails[0], QUICK)).status == "sent"  # by the sandbox
    upload_id = new_id()
    await sql.fetch("UPDATE deliveries SET upload_id = $2 WHERE id = $1", emails[1], upload_id)

    async def found(**fields) -> set:
        return {row.id for row in await listing.deliveries_after(admin, DeliveryFilter(**fields))}

    assert await found(status="failed") == {sms}
    assert await found(failure_code="INVALID_NUMBER") == {sms}
    assert await found(failure_reason="NOT VALID") == {sms}  # a part of the reason, any case
    assert await found(failure_reason="100%") == set()  # % is text, not a wildcard
    assert await found(channel="sms") == {sms} and await found(channel="email") == set(emails)
    assert await found(provider="http_messaging") == {sms} and await found(provider="sandbox") == {emails[0]}
    assert await found(campaign_id=shop.campaign.id) == {*emails, sms} and await found(campaign_id=new_id()) == set()
    assert await found(programme_id=shop.programme.id) == {*emails, sms}
    assert await found(upload_id=upload_id) == {emails[1]}
    now = utcnow()
    assert await found(issued_after=now - timedelta(hours=1), issued_before=now + timedelta(minutes=1)) == {*emails, sms}
    assert await found(issued_after=now + timedelta(minutes=1)) == set()
    assert await listing.count_deliveries(admin, DeliveryFilter(channel="email", status="pending")) == 1
    with pytest.raises(DomainError) as bad:
        await listing.deliveries_after(admin, DeliveryFilter(channel="fax", status="'; DROP TABLE deliveries; --"))
    assert {(error.field, error.code) for error in bad.value.errors} == {("status", "INVALID_VALUE")}
    with pytest.raises(DomainError) as bad_channel:
        await listing.deliveries_after(admin, DeliveryFilter(channel="fax"))
    assert (bad_channel.value.code, bad_channel.value.errors[0].field) == ("INVALID_CHANNEL", "channel")
    with pytest.raises(DomainError) as bad_range:
        await listing.count_deliveries(admin, DeliveryFilter(issued_after=now, issued_before=now))
    assert bad_range.value.code == "INVALID_RANGE"

    rates = await statistics.success_rates(admin, now - timedelta(hours=1), now + timedelta(minutes=1))
    by_channel = {row.key: row.counts for row in rates.by_channel}
    assert (by_channel["email"].total, by_channel["email"].sent, by_channel["email"].pending) == (2, 1, 1)
    assert (by_channel["sms"].total, by_channel["sms"].failed, by_channel["sms"].success_rate) == (1, 1, 0.0)
    by_provider = {row.key: row.counts for row in rates.by_provider}
    assert (by_provider["sandbox"].sent, by_provider["sandbox"].failed) == (1, 0)
    assert (by_provider["http_messaging"].sent, by_provider["http_messaging"].failed) == (0, 1)
    later = await statistics.success_rates(admin, now + timedelta(minutes=1), now + timedelta(hours=1))
    assert later.by_channel == [] and later.by_provider == []
    counts = await statistics.upload_delivery_counts(admin, upload_id)
    assert (counts.total, counts.pending, counts.failed) == (1, 1, 0)


async def test_the_delivery_copies_its_rewards_upload_and_issue_time(admin):
    upload_id = new_id()
    assert upload_of(upload_source_event(upload_id, 7)) == upload_id
    assert upload_of("hr-sync:42") is None and upload_of("upload:not-a-uuid:line 2") is None
    shop = await Programme(admin).start()
    (delivery_id,) = await some_deliveries(admin, shop, 1)
    row = await sql.fetchrow(
        "SELECT d.issued_at, r.issued_at AS reward_issued_at, d.upload_id FROM deliveries d "
        "JOIN reward_issuances r ON r.id = d.issuance_id WHERE d.id = $1",
        delivery_id,
    )
    assert row["issued_at"] == row["reward_issued_at"] and row["upload_id"] is None


async def test_the_failed_first_listing_reads_its_index(admin, db):
    shop = await Programme(admin).start()
    await some_deliveries(admin, shop, 3)
    query = "SELECT * FROM deliveries ORDER BY (CASE WHEN status = 'failed' THEN 0 ELSE 1 END), id DESC LIMIT 20"
    if db.kind == "sqlite":
        plan = " ".join(str(dict(row)) for row in await sql.fetch(f"EXPLAIN QUERY PLAN {query}"))
    else:
        await sql.fetch("SET enable_seqscan = off")  # three rows: make the planner show whether the index can serve
        plan = " ".join(str(dict(row)) for row in await sql.fetch(f"EXPLAIN {query}"))
    assert "deliveries_listing" in plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # the index gives the order: no sort step


async def test_the_migration_gives_earlier_deliveries_their_issue_time_and_upload(admin):
    """Deliveries made before the columns existed: the migration's UPDATEs fill the issue time from
    the reward (and leave the upload empty for a reward no upload issued)."""
    import importlib

    migration = importlib.import_module("backend.deliveries.piccolo_migrations.deliveries_2026_12_07t10_01_00_000000")
    shop = await Programme(admin).start()
    (delivery_id,) = await some_deliveries(admin, shop, 1)
    row = await sql.fetchrow("SELECT issuance_id, issued_at FROM deliveries WHERE id = $1", delivery_id)
    await sql.fetch("UPDATE deliveries SET issued_at = NULL, upload_id = NULL WHERE id = $1", delivery_id)
    for statement in migration._STATEMENTS[:2]:
        await sql.fetch(statement)
    after = await sql.fetchrow("SELECT issued_at, upload_id FROM deliveries WHERE id = $1", delivery_id)
    assert (after["issued_at"], after["upload_id"]) == (row["issued_at"], None)
