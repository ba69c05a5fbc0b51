"""GraphQL API throughput and latency on PostgreSQL, as ratios to pgbench TPC-B in the same run.

Run with `make bench`. The API runs as it does in production (`mirabelle api`, 2 workers) and wrk
drives it with 16 connections from a separate process.
"""

from __future__ import annotations

import json
import os

from api_load import median_run, running_api
from baseline import fresh_database, pgbench_tps, vacuum_analyze

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)

VIEWER = {"query": "{ viewer { kind name scopes } }"}
RECIPIENT_PAGE = {"query": "{ recipients(first: 20) { edges { node { id externalId fullName email } } pageInfo { endCursor } } }"}
UPSERT_LUA = """
local counter = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
request = function()
  counter = counter + 1
  local body = string.format('{"query":"mutation($i: UpsertRecipientInput!){ upsertRecipient(input: $i) { created errors { code } } }","variables":{"i":{"externalId":"bench-%d-%d","fullName":"Bench Person %d","email":"b%d.%d@example.com","country":"IN","hrAttributes":{"grade":5}}}}', tid, counter, counter, tid, counter)
  return wrk.format("POST", "/graphql", nil, body)
end
"""
POST_LUA = 'wrk.method = "POST"\nwrk.body = [[{body}]]\n'


async def _prepare(url: str) -> str:
    """Migrate, create an API key and 1,000 recipients; returns the key."""
    from backend.access import services as access
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.recipients import services as recipients

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await start_pool(engine)
    _, secret = await access.create_api_key(SYSTEM, "bench", ["recipients:read", "recipients:write"])
    for index in range(1000):
        await recipients.upsert_recipient(
            SYSTEM,
            recipients.RecipientInput(external_id=f"seed-{index}", full_name=f"Seed {index}", email=f"s{index}@example.com"),
        )
    await close_pool(engine)
    await vacuum_analyze(url)
    return secret


async def test_graphql_api_throughput(tmp_path):
    baseline = await pgbench_tps(SERVER)
    async with fresh_database(SERVER, "mirabelle_bench") as url:
        key = await _prepare(url)
        with running_api(url, tmp_path) as endpoint:
            results = {
                "viewer query": median_run(endpoint, key, POST_LUA.format(body=json.dumps(VIEWER)), tmp_path),
                "recipients page (20)": median_run(endpoint, key, POST_LUA.format(body=json.dumps(RECIPIENT_PAGE)), tmp_path),
                "upsertRecipient (insert + audit)": median_run(endpoint, key, UPSERT_LUA, tmp_path),
            }
    print(f"\n\npgbench TPC-B-like, 8 clients (median of 3): {baseline:,.0f} tps\n")
    print(f"{'workload (wrk, 16 connections, 2 api workers)':<48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× TPC-B':>8}")
    for name, run in results.items():
        print(f"{name:<48} {run['rps']:>8,.0f} {run['p50']:>8.1f} {run['p99']:>8.1f} {run['rps'] / baseline:>8.2f}")
    for name, run in results.items():
        assert run["non_2xx"] == 0, f"{name}: {run['non_2xx']} failed requests"
