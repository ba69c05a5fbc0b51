"""Sending rewards on PostgreSQL, with 2 real `mirabelle worker` processes and a loopback HTTP
messaging provider in a process of its own (loopback_receiver.py), against pgbench TPC-B in the
same run (issue 17, "Must show"):

* deliveries per second: ``MIRABELLE_BENCH_DELIVERIES`` (default 20,000) points rewards issued
  through the service while no worker runs (their ``reward.issued`` events pending), then the
  workers start: the whole chain (delivery made, send job, provider) until the provider has every
  one. Target ≥ 500/s.
* issueReward → provider: GraphQL issueReward at a steady ``MIRABELLE_BENCH_ISSUE_RATE`` (default
  500) a second for ``MIRABELLE_BENCH_ISSUE_SECONDS`` (default 30), the api (2 processes) and the 2
  workers running; each reward's time from its request to the provider's receipt.
  Target p50 < 1 s, p99 < 3 s.
* a 100,000-row upload (``MIRABELLE_BENCH_UPLOAD_ROWS`` for a quicker run): staged, approved, issued
  by the workers and drained; the provider's count equals the issued count.

Figures are printed, never asserted against the clock (the machine is shared); what is asserted is
that nothing was lost or sent twice.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

from baseline import fresh_database, tpcb_database, vacuum_analyze
from sending_rig import (
    WORKERS,
    cpu_between,
    cpu_seconds,
    database_cpu,
    describe_lags,
    embedded_redis,
    percentile,
    phone,
    running_api,
    running_receiver,
    running_workers,
    sms_programme,
    steady_requests,
)

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
DELIVERIES = int(os.environ.get("MIRABELLE_BENCH_DELIVERIES", "20000"))
ISSUE_RATE = int(os.environ.get("MIRABELLE_BENCH_ISSUE_RATE", "500"))
ISSUE_SECONDS = int(os.environ.get("MIRABELLE_BENCH_ISSUE_SECONDS", "30"))
# Requests in flight at most: the driver is httpx in this process, whose pool scan per request grows
# with its connections (at 64 it took most of a core from the api, as in the webhook lag bench).
ISSUE_IN_FLIGHT = int(os.environ.get("MIRABELLE_BENCH_ISSUE_IN_FLIGHT", "16"))
UPLOAD_ROWS = int(os.environ.get("MIRABELLE_BENCH_UPLOAD_ROWS", "100000"))
RECIPIENTS = 2_000
DRAIN_TIMEOUT_S = 1800


async def _open(url: str):
    from backend.core.db import make_engine, start_pool, use_engine
    from backend.core.migrate import migrate

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await start_pool(engine)
    return engine


async def _people(count: int, prefix: str = "bench") -> list[uuid.UUID]:
    from backend.core.authz import SYSTEM
    from backend.recipients import services as recipients

    ids = []
    for n in range(count):
        result = await recipients.upsert_recipient(
            SYSTEM,
            recipients.RecipientInput(
                external_id=f"{prefix}-{n}", full_name=f"Bench {n}", phone=phone(n), preferred_channel="sms", country="IN"
            ),
        )
        ids.append(result.recipient.id)
    return ids


async def _issue(campaign_id, people: list[uuid.UUID], count: int, concurrency: int = 8) -> float:
    """``count`` points rewards through the service, ``concurrency`` at a time; returns rewards/s."""
    from backend.core.authz import Actor, ActorKind, Permission
    from backend.core.ids import new_id
    from backend.rewards.services.issuance import RewardRequest, issue_reward

    actor = Actor(kind=ActorKind.API_KEY, id=new_id(), label="bench", permissions=frozenset({Permission.REWARDS_WRITE}))
    run = uuid.uuid4().hex[:8]
    numbers = iter(range(count))

    async def issuer() -> None:
        for n in numbers:
            outcome = await issue_reward(actor, RewardRequest(campaign_id, people[n % len(people)], None, 10, f"{run}-{n}"))
            assert outcome.status == "issued", outcome.message

    started = time.perf_counter()
    await asyncio.gather(*(issuer() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


async def _delivery_counts() -> dict[str, int]:
    from backend.core import sql

    rows = await sql.fetch("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
    return {row["status"]: int(row["n"]) for row in rows}


async def test_deliveries_per_second_with_two_workers(tmp_path):
    from backend.core import outbox
    from backend.core.db import close_pool

    async with tpcb_database(SERVER) as tpcb, fresh_database(SERVER, "mirabelle_delivery_bench") as url:
        engine = await _open(url)
        with running_receiver(tmp_path) as receiver, embedded_redis(tmp_path) as redis_url:
            try:
                outbox.set_doorbell(None)  # no worker yet: the events wait in the outbox
                _, campaign = await sms_programme(receiver)
                people = await _people(RECIPIENTS)
                issue_rate = await _issue(campaign.id, people, DELIVERIES)
                await vacuum_analyze(url)
                baseline = tpcb.tps()
                database_before = await database_cpu(url)
                with running_workers(url, redis_url, tmp_path) as workers:
                    took = receiver.wait_for("sent", DELIVERIES, DRAIN_TIMEOUT_S)
                    worker_cpu = cpu_seconds(workers)
                    database_used = cpu_between(database_before, await database_cpu(url))
                    await asyncio.sleep(1)  # a duplicate would come after the last first send
                stats, records = receiver.stats(), receiver.records()
                counts = await _delivery_counts()
            finally:
                await close_pool(engine)
    arrivals = sorted(records["sent"].values())
    steady = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    print(f"\n\npgbench TPC-B-like, 8 clients, just before the run: {baseline:,.0f} tps")
    print(f"{DELIVERIES:,} points rewards issued through the service first ({issue_rate:,.0f}/s), no worker running")
    print(f"{WORKERS} workers, http_messaging provider on loopback (its own process):")
    print(
        f"  deliveries/s, first to last arrival: {steady:,.0f} ({steady / baseline:.3f}× TPC-B)   "
        f"from the workers' start: {DELIVERIES / took:,.0f} (incl. start-up)   target ≥ 500/s: "
        f"{'met' if steady >= 500 else 'NOT met'}"
    )
    print(
        f"  the workers' CPU: {worker_cpu * 1000 / DELIVERIES:.1f} ms per delivery (both processes, start-up included): "
        f"on 2 idle cores they alone would allow ~{2 * DELIVERIES / worker_cpu:,.0f}/s"
    )
    print(f"  the database's CPU (its backends for this database): {database_used * 1000 / DELIVERIES:.1f} ms per delivery")
    print(f"  provider: {stats['sent']:,} sent, {stats['replays']} replays, {stats['requests']:,} requests; deliveries {counts}")
    assert stats["sent"] == DELIVERIES and counts == {"sent": DELIVERIES}
    assert stats["requests"] == stats["sent"] + stats["replays"] and stats["without_key"] == 0


ISSUE = "mutation($i: IssueRewardInput!){ issueReward(input: $i) { status issuanceId errors { code message } } }"


async def test_issue_reward_to_provider_latency(tmp_path):
    from backend.access import services as access
    from backend.core import sql
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool

    async with tpcb_database(SERVER) as tpcb, fresh_database(SERVER, "mirabelle_delivery_latency") as url:
        engine = await _open(url)
        with running_receiver(tmp_path) as receiver, embedded_redis(tmp_path) as redis_url:
            try:
                _, key = await access.create_api_key(SYSTEM, "bench", ["rewards:write", "rewards:read", "recipients:read"])
                _, campaign = await sms_programme(receiver)
                await _people(RECIPIENTS)
                await vacuum_analyze(url)
                baseline = tpcb.tps()
                run = uuid.uuid4().hex[:8]

                def body(n: int) -> dict:
                    variables = {
                        "campaignId": str(campaign.id),
                        "recipientExternalId": f"bench-{n % RECIPIENTS}",
                        "value": 10,
                        "sourceEvent": "bench",
                        "idempotencyKey": f"{run}-{n}",
                    }
                    return {"query": ISSUE, "variables": {"i": variables}}

                with running_api(url, redis_url, tmp_path) as endpoint, running_workers(url, redis_url, tmp_path):
                    time.sleep(3)  # the workers' start-up
                    load = await steady_requests(endpoint, key, body, ISSUE_RATE, ISSUE_SECONDS, concurrency=ISSUE_IN_FLIGHT)
                    issued = {
                        answer["data"]["issueReward"]["issuanceId"]: (load["started_at"][n], load["answered_at"][n])
                        for n, answer in load["answers"].items()
                        if (answer.get("data") or {}).get("issueReward", {}).get("status") == "ISSUED"
                    }
                    receiver.wait_for("sent", len(issued), DRAIN_TIMEOUT_S)
                records = receiver.records()["sent"]
                rows = await sql.fetch("SELECT id, issuance_id FROM deliveries")
            finally:
                await close_pool(engine)
    mine = [(records[str(row["id"])], *issued[str(row["issuance_id"])]) for row in rows if str(row["issuance_id"]) in issued]
    lags = [received - asked for received, asked, _ in mine]
    after_answer = [received - answered for received, _, answered in mine]
    answer_times = [answered - asked for _, asked, answered in mine]
    print(f"\n\npgbench TPC-B-like, 8 clients, just before the run: {baseline:,.0f} tps")
    print(
        f"GraphQL issueReward at {ISSUE_RATE}/s asked for {ISSUE_SECONDS} s (api 2 processes, {WORKERS} workers): "
        f"{load['rate']:,.0f}/s achieved ({load['rate'] / baseline:.3f}× TPC-B), {load['behind']:,} ticks sent late (at most {load['most_behind_s']:.2f} s) "
        f"({ISSUE_IN_FLIGHT} in flight), {len(issued):,} issued"
    )
    print(f"  issueReward request → provider receipt: {describe_lags(lags)}")
    print(f"    of which the request itself (sent → answered): {describe_lags(answer_times)}")
    print(f"    and answered → provider receipt: {describe_lags(after_answer)}")
    print(
        f"  target p50 < 1 s: {'met' if percentile(lags, 50) < 1 else 'NOT met'}; "
        f"p99 < 3 s: {'met' if percentile(lags, 99) < 3 else 'NOT met'}"
    )
    assert len(lags) == len(issued) == len(rows) and len(issued) > 0


def _upload_file(path, rows: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("external_id,full_name,phone,country,points,channel\r\n")
        for n in range(rows):
            out.write(f"U-{n:06},Upload Person {n},{phone(n)},IN,10,sms\r\n")


async def test_a_large_upload_is_drained(tmp_path):
    from backend.access import services as access
    from backend.core import sql
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool
    from backend.rewards.uploads.services import approval, staging

    async with tpcb_database(SERVER) as tpcb, fresh_database(SERVER, "mirabelle_delivery_upload") as url:
        engine = await _open(url)
        with running_receiver(tmp_path) as receiver, embedded_redis(tmp_path) as redis_url:
            try:
                uploader = access.actor_for_user(
                    await access.create_user(SYSTEM, "up@example.com", "Uploader", "correct horse battery", ["admin"])
                )
                approver = access.actor_for_user(
                    await access.create_user(SYSTEM, "ok@example.com", "Approver", "correct horse battery", ["admin"])
                )
                _, campaign = await sms_programme(receiver)
                path = tmp_path / "upload.csv"
                _upload_file(path, UPLOAD_ROWS)
                with open(path, "rb") as source:  # noqa: ASYNC230 - staging streams the file as an upload does
                    upload = await staging.stage_upload(uploader, campaign.id, source, "upload.csv")
                assert upload.rows_valid == UPLOAD_ROWS, upload
                await vacuum_analyze(url)
                baseline = tpcb.tps()
                from backend.core import outbox
                from backend.core.outbox import open_doorbell

                doorbell = await open_doorbell(redis_url)
                with running_workers(url, redis_url, tmp_path):
                    await approval.approve_upload(approver, upload.id)
                    took = receiver.wait_for("sent", UPLOAD_ROWS, DRAIN_TIMEOUT_S, every=2)
                    await asyncio.sleep(1)
                outbox.set_doorbell(None)
                await doorbell.aclose()
                stats = receiver.stats()
                issued = (await sql.fetchrow("SELECT COUNT(*) AS n FROM reward_issuances WHERE campaign = $1", campaign.id))["n"]
                counts = await _delivery_counts()
            finally:
                await close_pool(engine)
    print(f"\n\npgbench TPC-B-like, 8 clients, just before the run: {baseline:,.0f} tps")
    print(
        f"upload of {UPLOAD_ROWS:,} rows (new recipients, SMS), approved with {WORKERS} workers running: issued and "
        f"delivered in {took:,.0f} s ({UPLOAD_ROWS / took:,.0f} rewards/s end to end, {UPLOAD_ROWS / took / baseline:.3f}× TPC-B)"
    )
    print(f"  issued {issued:,}; provider sent {stats['sent']:,} ({stats['replays']} replays); deliveries {counts}")
    assert issued == UPLOAD_ROWS == stats["sent"] and counts == {"sent": UPLOAD_ROWS}
