"""issueReward over GraphQL with full governance (dates, maximum count, budget, a per-recipient cap
over a rolling window) against pgbench TPC-B in the same run (DESIGN.md target: ≥ 0.1× TPC-B,
p99 < 100 ms at 16 connections).

Every request is a new business event (its own idempotency key) for a random recipient among
2,000; each issues a 10-point reward, credited to the recipient's wallet in the same transaction.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import timedelta

from api_load import median_run, running_api
from baseline import fresh_database, tpcb_database, vacuum_analyze

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
    from backend.access import service as access
    from backend.campaigns.services import campaigns
    from backend.campaigns.services.campaigns import CampaignInput
    from backend.core.authz import SYSTEM
    from backend.core.clock import utcnow
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.recipients import service as recipients

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await start_pool(engine)
    _, secret = await access.create_api_key(SYSTEM, "bench", ["rewards:write", "rewards:read"])
    programme = await recipients.create_programme(SYSTEM, "Bench", "INR", "0.25")
    for n in range(RECIPIENTS):
        await recipients.upsert_recipient(
            SYSTEM, recipients.RecipientInput(external_id=f"bench-{n}", full_name=f"B {n}", email=f"b{n}@example.com")
        )
    campaign = await campaigns.create_campaign(
        SYSTEM,
        CampaignInput(
            programme_id=programme.id,
            name="Bench",
            reward_type="points",
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=30),
            max_rewards=10_000_000,
            budget=10**11,
            recipient_max_count=100_000,
            recipient_window_days=30,
        ),
    )
    await campaigns.activate_campaign(SYSTEM, campaign.id)
    await close_pool(engine)
    await vacuum_analyze(url)
    return secret, campaign.id


async def test_issue_reward_over_graphql(tmp_path):
    async with tpcb_database(SERVER) as tpcb, fresh_database(SERVER, "mirabelle_issuance_bench") as url:
        key, campaign_id = await _prepare(url)
        with running_api(url, tmp_path) as endpoint:
            script = ISSUE_LUA.replace("CAMPAIGN", str(campaign_id)).replace("RECIPIENTS", str(RECIPIENTS))
            run = median_run(endpoint, key, script, tmp_path, tpcb)
    issued, refused, seconds = re.search(r"ISSUED (\d+) REFUSED (\d+) SECONDS ([\d.]+)", run["output"]).groups()
    per_s = int(issued) / float(seconds)
    baseline = run["tpcb"]
    print(f"\n\npgbench TPC-B-like, 8 clients, just before this run: {baseline:,.0f} tps")
    print(
        "GraphQL issueReward with governance (count, budget, per-recipient cap over 30 days) + ledger credit, "
        "wrk 16 connections, 2 api workers (median of 3 by ratio to the TPC-B run before each):"
    )
    print(
        f"  issued {per_s:,.0f}/s ({per_s / baseline:.2f}× TPC-B)   p50 {run['p50']:.1f} ms   p99 {run['p99']:.1f} ms   "
        f"refused {refused}"
    )
    assert run["non_2xx"] == 0 and int(refused) == 0 and int(issued) > 0
