"""issueReward over GraphQL with full governance (dates, maximum count, budget, a per-recipient cap
over a rolling window) against pgbench TPC-B in the same run. DESIGN.md targets: ≥ 0.1× TPC-B
with p99 < 100 ms at 16 connections; and one hot campaign with 64 concurrent callers: throughput
no lower than at 16 (≥ 0.1× TPC-B), p99 < 150 ms, its cap and budget exact.

Every request is a new business event (its own idempotency key) for a random recipient among
2,000; each issues a 10-point reward, credited to the recipient's wallet in the same transaction.
All of them go to one campaign (a hot one). While wrk runs, a sampler reads pg_stat_activity
every 50 ms and counts the backends waiting for a lock in a statement on the campaign's counter
rows (its counter shards, or before them, the campaign's own row).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import uuid

import api_load
import asyncpg
from api_load import median_run, running_api, wrk
from baseline import fresh_database, tpcb_database, vacuum_analyze
from bench_setup import BUDGET, bench_recipients, governed_points_campaign

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
RECIPIENTS = 2_000

ISSUE_LUA = r"""
local threads = {}
local counter = 0
issued, refused = 0, 0  -- globals, so done() can read them with thread:get
function setup(thread) table.insert(threads, thread); thread:set("tid", #threads) end
request = function()
  counter = counter + 1
  local body = string.format('{"query":"mutation($i: IssueRewardInput!){ issueReward(input: $i) { status issuanceId errors { code } } }","variables":{"i":{"campaignId":"CAMPAIGN","recipientExternalId":"bench-%d","value":10,"sourceEvent":"bench","idempotencyKey":"i-RUN_ID-%d-%d"}}}', math.random(0, RECIPIENTS - 1), tid, counter)
  return wrk.format("POST", "/graphql", nil, body)
end
response = function(status, headers, body)
  if string.find(body, '"ISSUED"', 1, true) then issued = issued + 1 else refused = refused + 1 end
end
done = function(summary, latency, requests)
  local total_issued, total_refused = 0, 0
  for _, thread in ipairs(threads) do
    total_issued = total_issued + thread:get("issued")
    total_refused = total_refused + thread:get("refused")
  end
  io.write(string.format("ISSUED %d REFUSED %d SECONDS %.3f\n", total_issued, total_refused, summary.duration / 1e6))
end
"""


async def _prepare(url: str) -> tuple[str, uuid.UUID]:
    from backend.access import services as access
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.recipients import services as recipients

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await start_pool(engine)
    _, secret = await access.create_api_key(SYSTEM, "bench", ["rewards:write", "rewards:read"])
    programme = await recipients.create_programme(SYSTEM, "Bench", "INR", "0.25")
    await bench_recipients(RECIPIENTS)
    campaign = await governed_points_campaign(programme.id)
    await close_pool(engine)
    await vacuum_analyze(url)
    return secret, campaign.id


class LockWaits:
    """Samples, every 50 ms in a thread of its own, how many backends of the database wait for a
    lock in a statement on the campaign's counter rows, and how many run a statement at all."""

    _SAMPLE = """SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'
            AND (query LIKE '%campaign_counter_shards%' OR query LIKE '%UPDATE campaigns%')) AS waiting,
        count(*) FILTER (WHERE state = 'active') AS active
    FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"""

    def __init__(self, url: str) -> None:
        self.url, self.samples, self._stop = url, [], threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._sample()), daemon=True)

    async def _sample(self) -> None:
        connection = await asyncpg.connect(self.url)
        try:
            while not self._stop.is_set():
                row = await connection.fetchrow(self._SAMPLE)
                self.samples.append((row["waiting"], row["active"]))
                await asyncio.sleep(0.05)
        finally:
            await connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def describe(self) -> str:
        if not self.samples:
            return "no samples"
        waiting = [w for w, _ in self.samples]
        active = sum(a for _, a in self.samples) / len(self.samples)
        return (
            f"waiting on the campaign's rows: mean {sum(waiting) / len(waiting):.2f} backends, max {max(waiting)}, "
            f"in {sum(1 for w in waiting if w) / len(waiting):.0%} of {len(waiting)} samples (mean active {active:.1f})"
        )


def _issued(run: dict) -> tuple[int, int, float]:
    issued, refused, seconds = re.search(r"ISSUED (\d+) REFUSED (\d+) SECONDS ([\d.]+)", run["output"]).groups()
    return int(issued), int(refused), float(seconds)


def _row(label: str, run: dict, waits: LockWaits) -> float:
    issued, refused, seconds = _issued(run)
    per_s = issued / seconds
    print(
        f"  {label}: issued {per_s:,.0f}/s ({per_s / run['tpcb']:.2f}× TPC-B {run['tpcb']:,.0f} tps)   "
        f"p50 {run['p50']:.1f} ms   p99 {run['p99']:.1f} ms   refused {refused}"
    )
    print(f"      {waits.describe()}")
    return per_s / run["tpcb"]


async def _counted(url: str, campaign_id: uuid.UUID) -> tuple:
    """The campaign's counters as its service reports them, and its issuance rows."""
    from backend.campaigns.services import campaigns
    from backend.core import sql
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine

    engine = make_engine(url)
    use_engine(engine)
    await start_pool(engine)
    try:
        campaign = await campaigns.get_campaign(SYSTEM, campaign_id)
        rows = await sql.fetchrow(
            "SELECT COUNT(*) AS n, COALESCE(SUM(value), 0) AS v FROM reward_issuances WHERE campaign = $1", campaign_id
        )
        return campaign, int(rows["n"]), int(rows["v"])
    finally:
        await close_pool(engine)


async def _set_maximum(url: str, campaign_id: uuid.UUID, max_rewards: int) -> None:
    from backend.campaigns.services import campaigns
    from backend.campaigns.services.campaigns import CampaignInput
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine

    engine = make_engine(url)
    use_engine(engine)
    await start_pool(engine)
    try:
        campaign = await campaigns.get_campaign(SYSTEM, campaign_id)
        await campaigns.update_campaign(
            SYSTEM,
            campaign_id,
            CampaignInput(
                programme_id=campaign.programme_id,
                name=campaign.name,
                reward_type=campaign.reward_type,
                starts_at=campaign.starts_at,
                ends_at=campaign.ends_at,
                max_rewards=max_rewards,
                budget=campaign.budget,
                recipient_max_count=campaign.recipient_max_count,
                recipient_window_days=campaign.recipient_window_days,
            ),
        )
    finally:
        await close_pool(engine)


async def test_issue_reward_over_graphql(tmp_path, monkeypatch):
    async with tpcb_database(SERVER) as tpcb, fresh_database(SERVER, "mirabelle_issuance_bench") as url:
        key, campaign_id = await _prepare(url)
        runs = {}
        with running_api(url, tmp_path) as endpoint:
            script = ISSUE_LUA.replace("CAMPAIGN", str(campaign_id)).replace("RECIPIENTS", str(RECIPIENTS))
            for connections in (16, 64):
                monkeypatch.setattr(api_load, "CONNECTIONS", connections)  # wrk's -c; api_load's signatures unchanged
                with LockWaits(url) as waits:
                    runs[connections] = (median_run(endpoint, key, script, tmp_path, tpcb), waits)
            print("\n\nGraphQL issueReward with governance (count, budget, per-recipient cap over 30 days) + ledger credit,")
            print(
                "one campaign, 2 api workers, wrk (median of 3 by ratio to the pgbench TPC-B run, 8 clients, just before each):"
            )
            ratios = {connections: _row(f"{connections} connections", *runs[connections]) for connections in runs}
            # The cap exact at exhaustion, under 64 callers: 50 rewards left, then a short run.
            campaign, rows, _ = await _counted(url, campaign_id)
            await _set_maximum(url, campaign_id, campaign.issued_count + campaign.pending_count + 50)
            last = wrk(endpoint, key, script, tmp_path, seconds=3)
        campaign, rows, value = await _counted(url, campaign_id)
    print(f"  exhaustion, 64 connections, 3 s: issued {_issued(last)[0]}, refused {_issued(last)[1]}")
    for connections, (run, _) in runs.items():
        assert run["non_2xx"] == 0 and _issued(run)[1] == 0 and _issued(run)[0] > 0, connections
    # Exact: the counters are the rows, the cap is met and not passed, the budget holds what was issued.
    # (wrk's count of ISSUED answers may miss a request still in flight when it stops: the database decides.)
    assert campaign.issued_count == rows == campaign.max_rewards and campaign.remaining_count == 0
    assert campaign.issued_value == value == 10 * rows and campaign.remaining_budget == BUDGET - value
    print(f"  ratio 64/16: {ratios[64] / ratios[16]:.2f}")
