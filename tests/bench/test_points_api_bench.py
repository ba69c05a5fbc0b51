"""Points over GraphQL: reserve → confirm cycles as two HTTP requests, against pgbench TPC-B in the
same run (DESIGN.md target: ≥ 0.1× TPC-B in cycles, ≥ 0.2× in requests; p99 < 100 ms at 16 connections).

Each wrk thread keeps a queue of reservations it made: a connection that is free confirms the
oldest one, or else reserves 10 points from a random wallet among 200.
"""

from __future__ import annotations

import os
import re
import uuid

import ledger_history
from api_load import median_run, running_api
from baseline import fresh_database, tpcb_database, vacuum_analyze
from bench_setup import bench_recipients

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
WALLETS = 200

CYCLE_LUA = r"""
local threads = {}
local counter = 0
confirmed, refused = 0, 0  -- globals, so done() can read them with thread:get
local queue = {}
function setup(thread) table.insert(threads, thread); thread:set("tid", #threads) end
request = function()
  counter = counter + 1
  if #queue > 0 then
    local id = table.remove(queue, 1)
    local body = string.format('{"query":"mutation($i: ConfirmReservationInput!){ confirmReservation(input: $i) { reservation { id } errors { code } } }","variables":{"i":{"reservationId":"%s","idempotencyKey":"c-RUN_ID-%d-%d"}}}', id, tid, counter)
    return wrk.format("POST", "/graphql", nil, body)
  end
  local body = string.format('{"query":"mutation($i: ReservePointsInput!){ reservePoints(input: $i) { reservation { id } errors { code } } }","variables":{"i":{"programmeId":"PROGRAMME","recipientExternalId":"bench-%d","amount":10,"source":"MARKETPLACE","idempotencyKey":"r-RUN_ID-%d-%d"}}}', math.random(0, WALLETS - 1), tid, counter)
  return wrk.format("POST", "/graphql", nil, body)
end
response = function(status, headers, body)
  if string.find(body, '"code"', 1, true) then refused = refused + 1; return end
  if string.find(body, "reservePoints", 1, true) then
    local id = string.match(body, '"id":"([^"]+)"')
    if id then table.insert(queue, id) end
  elseif string.find(body, "confirmReservation", 1, true) then
    confirmed = confirmed + 1
  end
end
done = function(summary, latency, requests)
  local total_confirmed, total_refused = 0, 0
  for _, thread in ipairs(threads) do
    total_confirmed = total_confirmed + thread:get("confirmed")
    total_refused = total_refused + thread:get("refused")
  end
  io.write(string.format("CYCLES %d REFUSED %d SECONDS %.3f\n", total_confirmed, total_refused, summary.duration / 1e6))
end
"""


async def _prepare(url: str) -> tuple[str, uuid.UUID]:
    from backend.access import services as access
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.ledger import services as ledger
    from backend.recipients import services as recipients

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await start_pool(engine)
    _, secret = await access.create_api_key(SYSTEM, "bench", ["points:write", "points:read", "recipients:read"])
    programme = await recipients.create_programme(SYSTEM, "Bench", "INR", "0.25")
    funded = await bench_recipients(WALLETS)
    for recipient_id in funded:
        await ledger.earn(SYSTEM, programme.id, recipient_id, 1_000_000_000)
    await ledger_history.reserve_and_confirm(programme.id, funded)
    await close_pool(engine)
    await vacuum_analyze(url)
    return secret, programme.id


async def test_points_over_graphql(tmp_path):
    async with tpcb_database(SERVER) as tpcb, fresh_database(SERVER, "mirabelle_points_bench") as url:
        key, programme_id = await _prepare(url)
        with running_api(url, tmp_path) as endpoint:
            script = CYCLE_LUA.replace("PROGRAMME", str(programme_id)).replace("WALLETS", str(WALLETS))
            run = median_run(endpoint, key, script, tmp_path, tpcb)
    cycles, refused, seconds = re.search(r"CYCLES (\d+) REFUSED (\d+) SECONDS ([\d.]+)", run["output"]).groups()
    cycles_per_s = int(cycles) / float(seconds)
    baseline = run["tpcb"]
    print(f"\n\npgbench TPC-B-like, 8 clients, just before this run: {baseline:,.0f} tps")
    print("GraphQL reserve→confirm, wrk 16 connections, 2 api workers (median of 3 by ratio to the TPC-B run before each):")
    print(
        f"  requests {run['rps']:,.0f}/s ({run['rps'] / baseline:.2f}× TPC-B)   cycles {cycles_per_s:,.0f}/s "
        f"({cycles_per_s / baseline:.2f}× TPC-B)   p50 {run['p50']:.1f} ms   p99 {run['p99']:.1f} ms   refused {refused}"
    )
    assert run["non_2xx"] == 0 and int(refused) == 0 and int(cycles) > 0
