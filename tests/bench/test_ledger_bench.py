"""Ledger throughput on PostgreSQL: reserve→confirm cycles through the service layer, and the same
statements as a plain-SQL pgbench script, as ratios to pgbench TPC-B in the same run.

Run with `make bench` (or `.venv/bin/pytest tests/bench/test_ledger_bench.py -s -o addopts=""`).

* service, cold wallets: 8 concurrent tasks in one process, each cycle a reserve then a confirm
  of 10 points of a random wallet among 1,000, with idempotency keys, as the API calls them;
* service, hot wallet: the same, every task on one wallet;
* plain SQL: the statements the service sends for one cycle (imported from the service's
  modules, so they cannot drift), in the same transactions, as a pgbench custom script, 8 clients,
  prepared statements.

DESIGN.md "Benchmark hygiene": a fresh database per workload, VACUUM ANALYZE after loading, each
run paired with a pgbench TPC-B run just before it, and the median of three pairs by their ratio.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import re
import shutil
import time
import uuid

import asyncpg
import ledger_history
import pytest
from baseline import TpcB, fresh_database, pgbench, tpcb_database, tps_of, vacuum_analyze

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECONDS, REPEATS, CONCURRENCY, COLD_WALLETS, AMOUNT = 10, 3, 8, 1000, 10


def recipient_uuid(n: int) -> uuid.UUID:
    """Bench recipients get ids pgbench can compute from a number."""
    return uuid.UUID(f"00000000-0000-4000-8000-{n:012x}")


@dataclasses.dataclass(frozen=True)
class Run:
    cycles_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    tpcb: float = 0.0  # pgbench TPC-B-like tps measured just before this run (``baseline.TpcB``)

    @property
    def ratio(self) -> float:
        return self.cycles_per_second / self.tpcb


def _median(runs: list[Run]) -> Run:
    """The run with the median ratio to the TPC-B run just before it."""
    return sorted(runs, key=lambda run: run.ratio)[len(runs) // 2]


async def _load(url: str, wallets: int) -> uuid.UUID:
    """Migrate a fresh database, fund ``wallets`` wallets through the service and give the ledger a
    history (``ledger_history``); returns the programme."""
    from backend.core.authz import SYSTEM
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.migrate import migrate
    from backend.ledger import services as ledger
    from backend.recipients import services as recipients

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await start_pool(engine)
    programme = await recipients.create_programme(SYSTEM, "Bench", "INR", "0.25")
    connection = await asyncpg.connect(url)
    await connection.executemany(
        """INSERT INTO recipients (id, external_id, full_name, email, preferred_channel, hr_attributes, source_system, status,
           created_at, updated_at) VALUES ($1, $2, $3, $4, 'email', '{}', 'bench', 'active', now(), now())""",
        [(recipient_uuid(n), f"bench-{n}", f"Bench {n}", f"b{n}@example.com") for n in range(1, wallets + 1)],
    )
    await connection.close()
    for n in range(1, wallets + 1):
        await ledger.earn(SYSTEM, programme.id, recipient_uuid(n), 10**11, source="campaign")
    await ledger_history.reserve_and_confirm(programme.id, [recipient_uuid(n) for n in range(1, wallets + 1)])
    await close_pool(engine)
    await vacuum_analyze(url)
    return programme.id


async def _service_run(url: str, programme_id: uuid.UUID, wallets: int, seconds: float) -> Run:
    from backend.core.authz import Actor, ActorKind, Permission
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.ledger import services as ledger

    engine = make_engine(url)
    use_engine(engine)
    await start_pool(engine, max_size=CONCURRENCY)
    caller = Actor(kind=ActorKind.API_KEY, id=uuid.uuid4(), label="bench", permissions=frozenset({Permission.POINTS_WRITE}))
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def client(rng: random.Random) -> None:
        while time.monotonic() < stop:
            recipient = recipient_uuid(rng.randint(1, wallets))
            started = time.perf_counter()
            hold = await ledger.reserve(
                caller, programme_id, recipient, AMOUNT, source="marketplace", reference="order", idempotency_key=uuid.uuid4().hex
            )
            await ledger.confirm(caller, hold.reservation.id, idempotency_key=uuid.uuid4().hex)
            latencies.append(time.perf_counter() - started)

    began = time.monotonic()
    await asyncio.gather(*(client(random.Random(seed)) for seed in range(CONCURRENCY)))
    elapsed = time.monotonic() - began
    await close_pool(engine)
    latencies.sort()
    return Run(len(latencies) / elapsed, latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.99)] * 1000)


async def service_cycles(wallets: int, event_loop: str, tpcb: TpcB) -> Run:
    """``event_loop`` "uvloop" is how the api process runs (uvicorn picks uvloop when installed);
    "asyncio" is Python's own loop, as in the arq worker."""
    async with fresh_database(SERVER, "mirabelle_ledger_bench") as url:
        programme_id = await _load(url, wallets)
        runs = []
        for _ in range(REPEATS):
            before = await asyncio.to_thread(tpcb.tps)
            if event_loop == "uvloop":
                import uvloop

                run = await asyncio.to_thread(uvloop.run, _service_run(url, programme_id, wallets, SECONDS))
            else:
                run = await _service_run(url, programme_id, wallets, SECONDS)
            runs.append(dataclasses.replace(run, tpcb=before))
    return _median(runs)


# ---------------------------------------------------------------- the same statements in plain SQL


def _render(sql: str, values: list[str]) -> str:
    """Replace $1…$n with pgbench expressions (``:variables`` become prepared-statement parameters)."""
    return re.sub(r"\$(\d+)", lambda match: values[int(match.group(1)) - 1], sql)


def plain_sql_cycle(programme_id: uuid.UUID, wallets: int) -> str:
    """The statements of one service cycle with idempotency keys, as a pgbench script, each use case
    a transaction as the service runs it: the wallet's move (the reserve), or the reservation's
    claim then the wallet's move (the confirm), each with ``\\gset``, then the deferred writes and
    the idempotency record as one statement, joined by the same ``sql_text`` code (``sql.flush``),
    from the same statements. The service's Python values become pgbench expressions: ids it makes
    come from pgbench's random numbers (the reservation's and the closing transfer's, which appear
    twice) or from gen_random_uuid(); what a statement returns comes back through ``\\gset``; the
    JSON of the audit entry, the event and the stored result is a constant of the service's size."""
    from backend.core import audit, idempotency, sql_text
    from backend.core.outbox import events as outbox_events
    from backend.ledger import postings
    from backend.ledger.accounts import system_account_id
    from backend.ledger.kinds import AccountKind, ReservationStatus
    from backend.ledger.services import reservations

    def literal(value) -> str:
        return "'" + str(value).replace("'", "''") + "'"

    def uuid_of(a: str, b: str) -> str:
        return f"CAST(lpad(to_hex(CAST(:{a} AS int)), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(CAST(:{b} AS int)), 12, '0') AS uuid)"

    def one(sql: str, *values: str) -> str:
        return _render(sql, list(values))

    def together(*statements: tuple[str, tuple]) -> str:
        """As ``sql.flush`` sends the deferred writes and the last statement: one ``WITH``."""
        text = sql_text.combined(tuple((sql, len(values)) for sql, values in statements))
        return _render(text, [value for _, values in statements for value in values])

    programme = f"'{programme_id}'"
    recipient = "CAST('00000000-0000-4000-8000-' || lpad(to_hex(CAST(:w AS int)), 12, '0') AS uuid)"
    reservation, closing = uuid_of("ra", "rb"), uuid_of("ca", "cb")
    shards = ", ".join(f"'{system_account_id(programme_id, AccountKind.SETTLEMENT, n)}'" for n in range(16))
    settlement = f"(CAST(ARRAY[{shards}] AS uuid[]))[CAST(:s AS int) + 1]"
    held_by, wallet = "CAST(:c_settlement_account_id AS uuid)", "CAST(:m_id AS uuid)"
    fresh, now, actor = "gen_random_uuid()", "now()", ("'api_key'", f"'{uuid.uuid4()}'", "'bench'")
    key = "CAST(:client_id AS text) || '-' || CAST(:ra AS text) || '-' || CAST(:rb AS text)"
    balance = {"available": 99_999_999_990, "pending": 10, "posted": 100_000_000_000}
    before = literal(json.dumps(balance))
    after = literal(
        json.dumps(
            {
                **balance,
                "transfer_id": str(uuid.uuid4()),
                "kind": "redeem",
                "phase": "pending",
                "amount": AMOUNT,
                "source": "marketplace",
                "reference": "order",
                "reason": "",
            }
        )
    )
    payload = literal(
        json.dumps(
            {
                "programme_id": str(programme_id),
                "recipient_id": str(uuid.uuid4()),
                "recipient_external_id": "bench-1",
                "wallet_id": str(uuid.uuid4()),
                "sequence": 1001,
                **balance,
                "transfer_id": str(uuid.uuid4()),
                "kind": "redeem",
                "phase": "pending",
                "amount": AMOUNT,
                "reason": "",
                "occurred_at": "2026-11-23T12:00:00+00:00",
            }
        )
    )
    response = literal(
        json.dumps(
            {
                "reservation": {
                    "id": str(uuid.uuid4()),
                    "programme_id": str(programme_id),
                    "wallet_id": str(uuid.uuid4()),
                    "amount": AMOUNT,
                    "status": "pending",
                    "timeout_at": "2026-11-23T12:15:00+00:00",
                    "posted_amount": 0,
                    "reversed_amount": 0,
                    "closing_transfer_id": None,
                    "closed_at": None,
                    "created_at": "2026-11-23T12:00:00+00:00",
                    "source": "marketplace",
                    "reference": "order",
                },
                "transfer": json.loads(after[1:-1]),
                "balance": {"wallet_id": str(uuid.uuid4()), **balance},
            }
        )
    )

    def announced(step: str) -> list[tuple[str, tuple]]:
        """The audit entry, the balance event and the idempotency record (``events.announce``, ``idempotency.record``)."""
        return [
            (
                audit._INSERT,
                (fresh, now, *actor, f"'points.{step}'", "'ledger_wallet'", f"CAST({wallet} AS text)", before, after, "NULL"),
            ),
            (outbox_events._INSERT, (fresh, "'ledger.balance_changed'", payload, now, "NULL")),
            (idempotency._INSERT, (fresh, "'api_key-bench'", f"{key} || '-{step}'", literal("f" * 64), response, now)),
        ]

    def transfer(transfer_id: str, system: str, phase: str, pending_id: str) -> tuple[str, tuple]:
        return (
            postings._INSERT_TRANSFER,
            (transfer_id, programme, wallet, wallet, system, str(AMOUNT), "'redeem'", "'marketplace'", phase, pending_id)
            + ("NULL", "'order'", "''", *actor, now),
        )

    reserve = [
        "BEGIN;",
        one(postings._MOVE_WALLET_OF_OWNER, programme, recipient, str(AMOUNT), "0", "0", "0", str(AMOUNT)) + " \\gset m_",
        together(
            (postings._MOVE_SYSTEM, (settlement, "0", "0", str(AMOUNT), "0")),
            transfer(reservation, settlement, "'pending'", "NULL"),
            (reservations._INSERT, (reservation, wallet, settlement, str(AMOUNT), f"{now} + interval '15 minutes'", now, "NULL")),
            *announced("reserved"),
        )
        + ";",
        "COMMIT;",
    ]
    confirm = [
        "BEGIN;",
        one(reservations._CLOSE_BY[ReservationStatus.POSTED], reservation, "'posted'", "NULL", closing, now, "NULL")
        + " \\gset c_",
        one(postings._MOVE_WALLET_BY_ID, "CAST(:c_wallet_account_id AS uuid)", f"-{AMOUNT}", str(AMOUNT), "0", "0", "0")
        + " \\gset m_",
        together(
            (postings._MOVE_SYSTEM, (held_by, "0", "0", f"-{AMOUNT}", str(AMOUNT))),
            transfer(closing, held_by, "'post'", reservation),
            *announced("confirmed"),
        )
        + ";",
        "COMMIT;",
    ]
    lines = [
        f"\\set w random(1, {wallets})",
        "\\set s random(0, 15)",
        "\\set ra random(1, 2147483646)",
        "\\set rb random(1, 2147483646)",
        "\\set ca random(1, 2147483646)",
        "\\set cb random(1, 2147483646)",
        *reserve,
        *confirm,
    ]
    return "\n".join(" ".join(line.split()) for line in lines) + "\n"


async def plain_sql_cycles(wallets: int, tmp_path, tpcb: TpcB) -> Run:
    async with fresh_database(SERVER, "mirabelle_ledger_sql") as url:
        programme_id = await _load(url, wallets)
        script = tmp_path / "ledger_cycle.sql"
        script.write_text(plain_sql_cycle(programme_id, wallets))
        runs = []
        for _ in range(REPEATS):
            before = await asyncio.to_thread(tpcb.tps)
            output = await asyncio.to_thread(
                pgbench, "-n", "-M", "prepared", "-c", str(CONCURRENCY), "-j", "2", "-T", str(SECONDS), "-f", str(script), url
            )
            assert "failed transactions: 0 " in output or "failed" not in output, output
            runs.append(Run(tps_of(output), None, None, before))
        return _median(runs)


@pytest.mark.skipif(shutil.which("pgbench") is None, reason="pgbench not installed (Debian: postgresql-client)")
async def test_ledger_reserve_confirm_throughput(tmp_path):
    async with tpcb_database(SERVER, CONCURRENCY, SECONDS) as tpcb:
        results = {
            "service layer, cold wallets (1,000), uvloop": (cold := await service_cycles(COLD_WALLETS, "uvloop", tpcb)),
            "service layer, one hot wallet, uvloop": (hot := await service_cycles(1, "uvloop", tpcb)),
            "service layer, cold wallets (1,000), asyncio loop": await service_cycles(COLD_WALLETS, "asyncio", tpcb),
            "plain SQL (pgbench -f), cold wallets": (plain_cold := await plain_sql_cycles(COLD_WALLETS, tmp_path, tpcb)),
            "plain SQL (pgbench -f), one hot wallet": (plain_hot := await plain_sql_cycles(1, tmp_path, tpcb)),
        }

    def ms(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    print(
        f"\n\nEach figure: the median of {REPEATS} runs by its ratio to a pgbench TPC-B-like run ({CONCURRENCY} clients) "
        "just before it.\n"
    )
    print(
        f"{'reserve→confirm cycles, concurrency 8':<56} {'cycles/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'TPC-B':>7} {'× TPC-B':>8}"
    )
    for name, run in results.items():
        print(
            f"{name:<56} {run.cycles_per_second:>9,.0f} {ms(run.p50_ms):>7} {ms(run.p99_ms):>7} {run.tpcb:>7,.0f} {run.ratio:>8.2f}"
        )
    print(
        f"\nservice (uvloop) / plain SQL: cold {cold.cycles_per_second / plain_cold.cycles_per_second:.2f}, "
        f"hot {hot.cycles_per_second / plain_hot.cycles_per_second:.2f}"
    )
    assert min(run.cycles_per_second for run in results.values()) > 0
