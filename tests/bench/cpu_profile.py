"""CPU and statements per operation of the hot write paths, in one process on PostgreSQL: the
figures a shared, loaded host cannot blur (wall-clock ratios move with the neighbours; the CPU
this process spends per operation, and the statements it sends, do not).

    PYTHONPATH=$PWD python tests/bench/cpu_profile.py ledger   # reserve → confirm through the service
    PYTHONPATH=$PWD python tests/bench/cpu_profile.py points   # the same as two GraphQL requests
    PYTHONPATH=$PWD python tests/bench/cpu_profile.py issue    # issueReward over GraphQL (governance + credit)
    PYTHONPATH=$PWD python tests/bench/cpu_profile.py typename # `{ __typename }`: what every request costs
    … --n 2000 --profile /tmp/issue.prof --top 40              # cProfile of the measured loop, by tottime

Operations run one after the other (no concurrency), warm: caches filled and prepared statements
made by a first round that is not counted. The GraphQL modes call the Litestar app through httpx's
ASGI transport (no sockets, no uvicorn), so the CPU is the app's plus httpx's client side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import logging
import os
import pstats
import sys
import time
import uuid
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))

import asyncpg  # noqa: E402
from baseline import fresh_database, vacuum_analyze  # noqa: E402
from bench_setup import bench_recipients, governed_points_campaign  # noqa: E402

SERVER = os.environ.get("MIRABELLE_BENCH_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
WALLETS = 200


class Statements:
    """Counts what this process sends to PostgreSQL: one per ``execute`` without arguments (BEGIN,
    COMMIT, ROLLBACK) and one per bound statement (``fetch`` and friends go through ``_execute``)."""

    def __init__(self) -> None:
        self.count, self.texts, self.on, self.width = 0, Counter(), False, 90

    def install(self) -> None:
        connection = asyncpg.connection.Connection
        plain_execute, bound_execute = connection.execute, connection._execute
        statements = self

        async def execute(self, query, *args, **kwargs):
            if not args:
                statements.seen(query)
            return await plain_execute(self, query, *args, **kwargs)

        async def _execute(self, query, args, *rest, **kwargs):
            statements.seen(query)
            return await bound_execute(self, query, args, *rest, **kwargs)

        connection.execute, connection._execute = execute, _execute

    def seen(self, query: str) -> None:
        if self.on:
            self.count += 1
            self.texts[" ".join(query.split())[: self.width]] += 1


STATEMENTS = Statements()


async def measure(name: str, n: int, operation, args) -> None:
    """``operation(i)`` once per i in range(n) after a warm-up; prints CPU and statements per call."""
    for i in range(max(n // 10, WALLETS) + 20):  # every wallet opened, every cache filled
        await operation(-1 - i)
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall: the host is shared
    STATEMENTS.count, STATEMENTS.texts, STATEMENTS.on = 0, Counter(), True
    # In ten slices: on a shared host a neighbour's burst inflates this process's CPU time too
    # (caches, hyper-threads), so the least-disturbed slice is the figure to compare.
    slices, done, began = [], 0, time.perf_counter()
    if profiler:
        profiler.enable()
    for part in range(10):
        size = n * (part + 1) // 10 - done
        cpu = time.process_time()
        for i in range(done, done + size):
            await operation(i)
        slices.append((time.process_time() - cpu) / size)
        done += size
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - began
    STATEMENTS.on = False
    slices.sort()
    print(
        f"{name}: {n} calls, CPU {slices[0] * 1000:.3f} ms/call (least-disturbed tenth; median {slices[5] * 1000:.3f}), "
        f"wall {wall / n * 1000:.3f} ms/call, {STATEMENTS.count / n:.2f} statements/call"
    )
    for text, count in STATEMENTS.texts.most_common():
        print(f"  {count / n:5.2f}  {text}")
    if profiler:
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


# ---------------------------------------------------------------- the ledger's service


async def ledger_mode(url: str, args) -> None:
    from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.ledger import services as ledger
    from backend.recipients import services as recipients

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await start_pool(engine, max_size=4)
    programme = await recipients.create_programme(SYSTEM, "Bench", "INR", "0.25")
    wallets = await bench_recipients(WALLETS)
    for recipient_id in wallets:
        await ledger.earn(SYSTEM, programme.id, recipient_id, 10**11)
    await vacuum_analyze(url)
    caller = Actor(kind=ActorKind.API_KEY, id=uuid.uuid4(), label="bench", permissions=frozenset({Permission.POINTS_WRITE}))

    async def cycle(i: int) -> None:
        hold = await ledger.reserve(
            caller,
            programme.id,
            wallets[i % WALLETS],
            10,
            source="marketplace",
            reference="order",
            idempotency_key=uuid.uuid4().hex,
        )
        await ledger.confirm(caller, hold.reservation.id, idempotency_key=uuid.uuid4().hex)

    await measure("ledger reserve→confirm (service)", args.n, cycle, args)
    await close_pool(engine)


# ---------------------------------------------------------------- over GraphQL


@contextlib.asynccontextmanager
async def app_client(url: str):
    import httpx

    from backend.api.app import create_app

    app = create_app()
    async with app.lifespan():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            yield client


async def _graphql(client, key: str, query: str, variables: dict) -> dict:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {key}"}
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


RESERVE = "mutation($i: ReservePointsInput!){ reservePoints(input: $i) { reservation { id } errors { code } } }"
CONFIRM = "mutation($i: ConfirmReservationInput!){ confirmReservation(input: $i) { reservation { id } errors { code } } }"
ISSUE = "mutation($i: IssueRewardInput!){ issueReward(input: $i) { status issuanceId errors { code } } }"


async def _setup(url: str, scopes: list[str]):
    from backend.access import services as access
    from backend.core.authz import SYSTEM
    from backend.core.db import make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.recipients import services as recipients

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await start_pool(engine)
    _, key = await access.create_api_key(SYSTEM, "bench", scopes)
    programme = await recipients.create_programme(SYSTEM, "Bench", "INR", "0.25")
    return engine, key, programme, await bench_recipients(WALLETS)


async def points_mode(url: str, args) -> None:
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool
    from backend.ledger import services as ledger

    engine, key, programme, ids = await _setup(url, ["points:write", "points:read", "recipients:read"])
    for recipient_id in ids:
        await ledger.earn(SYSTEM, programme.id, recipient_id, 10**11)
    await close_pool(engine)
    await vacuum_analyze(url)
    async with app_client(url) as client:

        async def cycle(i: int) -> None:
            token = uuid.uuid4().hex
            reserved = await _graphql(
                client,
                key,
                RESERVE,
                {
                    "i": {
                        "programmeId": str(programme.id),
                        "recipientExternalId": f"bench-{i % WALLETS}",
                        "amount": 10,
                        "source": "MARKETPLACE",
                        "idempotencyKey": f"r-{token}",
                    }
                },
            )
            reservation = reserved["reservePoints"]["reservation"]["id"]
            await _graphql(client, key, CONFIRM, {"i": {"reservationId": reservation, "idempotencyKey": f"c-{token}"}})

        await measure("points reservePoints→confirmReservation (GraphQL, 2 requests)", args.n, cycle, args)


async def typename_mode(url: str, args) -> None:
    from backend.core.db import close_pool

    engine, key, _, _ = await _setup(url, ["points:read"])
    await close_pool(engine)
    async with app_client(url) as client:

        async def ask(i: int) -> None:
            await _graphql(client, key, "{ __typename }", {})

        await measure("{ __typename } (GraphQL, the fixed cost of a request)", args.n, ask, args)


async def issue_mode(url: str, args) -> None:
    from backend.core.db import close_pool

    engine, key, programme, _ = await _setup(url, ["rewards:write", "rewards:read"])
    campaign = await governed_points_campaign(programme.id)
    await close_pool(engine)
    await vacuum_analyze(url)
    async with app_client(url) as client:

        async def issue(i: int) -> None:
            data = await _graphql(
                client,
                key,
                ISSUE,
                {
                    "i": {
                        "campaignId": str(campaign.id),
                        "recipientExternalId": f"bench-{i % WALLETS}",
                        "value": 10,
                        "sourceEvent": "bench",
                        "idempotencyKey": f"i-{uuid.uuid4().hex}",
                    }
                },
            )
            assert data["issueReward"]["status"] == "ISSUED", data

        await measure("issueReward (GraphQL)", args.n, issue, args)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ledger", "points", "issue", "typename"])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--profile", help="write the cProfile of the measured loop here, and print its top")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--width", type=int, default=90, help="characters of each statement shown")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, as the api does (uvicorn picks it)")
    args = parser.parse_args()
    # As the benches run the api: warnings only, no Redis (events wait for the relay).
    os.environ["MIRABELLE_LOG_LEVEL"], os.environ["MIRABELLE_REDIS_URL"] = "WARNING", ""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's own line per request
    STATEMENTS.install()
    STATEMENTS.width = args.width
    async with fresh_database(SERVER, "mirabelle_cpu_profile") as url:
        await {"ledger": ledger_mode, "points": points_mode, "issue": issue_mode, "typename": typename_mode}[args.mode](url, args)


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())
