"""The complaint desk at 100,000 tickets on PostgreSQL: the agent queue's first page and the SLA
escalation sweep.

Run with `make bench`. Budgets (issue 18): the queue's first page < 200 ms with 100,000 tickets;
the sweep over 100,000 open tickets < 5 s. A fresh database loaded with COPY and VACUUM ANALYZEd
(DESIGN.md, "Benchmark hygiene"); the queue figures are the median of 3 after a warm-up, beside
the same query sent straight through asyncpg (the plain-SQL figure) and the ratio to pgbench
TPC-B in the same run. The sweep changes what it sweeps, so its three runs are three successive
ticks, each firing the steps that fell due in one more slice of time.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from baseline import fresh_database, median_seconds, pgbench_tps, vacuum_analyze

SERVER = (
    os.environ.get("MIRABELLE_BENCH_POSTGRES_URL")
    or os.environ.get("MIRABELLE_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
TICKETS = 100_000
AGENTS = 20
REPEATS = 3
QUEUE_BUDGET_S = 0.2
SWEEP_BUDGET_S = 5.0
PAGE = 50
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
# Breach deadlines spread over 10 days around NOW; each sweep tick covers one more hour of them.
SPREAD = timedelta(days=10)
TICK = timedelta(hours=1)

TICKET_COLUMNS = [
    "id", "programme_id", "recipient_id", "issuance_id", "delivery_id", "campaign_id", "offer_id", "partner_id",
    "reward_value", "currency", "category", "priority", "status", "source", "subject", "assignee_id", "queue",
    "opened_by_label", "sla_due_at", "paused_at", "first_responded_at", "resolved_at", "closed_at", "reports",
    "csat_score", "csat_at", "purged_at", "created_at", "updated_at",
]  # fmt: skip
STEP_COLUMNS = [
    "id",
    "ticket",
    "target",
    "kind",
    "state",
    "target_s",
    "consumed_s",
    "anchor_at",
    "due_at",
    "stopped_at",
    "done_at",
]


async def _load(url: str, agents: list[uuid.UUID]) -> int:
    """100,000 active tickets, each with the warning and breach steps of two targets; returns how
    many steps are already due at NOW (the backlog the first tick clears)."""
    from backend.core.db import close_pool, make_engine, use_engine
    from backend.core.ids import new_id
    from backend.core.migrate import migrate

    engine = make_engine(url)
    use_engine(engine)
    await migrate()
    await close_pool(engine)
    rng = random.Random(18)
    programmes = [new_id() for _ in range(5)]
    tickets, steps, due_now = [], [], 0
    start = NOW - timedelta(hours=2)  # a little backlog: what came due just before the tick
    for index in range(TICKETS):
        ticket_id = new_id()
        waiting = rng.random() < 0.15
        status = "waiting_on_recipient" if waiting else rng.choice(["new", "open"])
        breach_at = start + SPREAD * rng.random()
        due = datetime(9999, 12, 31, tzinfo=UTC) if waiting else breach_at
        assignee = rng.choice(agents) if rng.random() < 0.7 else None
        created = NOW - timedelta(hours=rng.randint(1, 200))
        tickets.append(
            (
                ticket_id, rng.choice(programmes), new_id(), new_id(), None, None, None, None, 1500, None,
                rng.choice(["not_received", "code_invalid", "expired", "other"]), rng.choice(["low", "normal", "high"]),
                status, "api", f"Ticket {index}", assignee, "support", "bench", due, None, None, None, None, 1,
                None, None, None, created, created,
            )
        )  # fmt: skip
        for target, shift in (("first_response", timedelta(0)), ("resolution", timedelta(days=1))):
            for kind, share in (("warning", 0.8), ("breach", 1.0)):
                step_due = None if waiting else breach_at + shift - (timedelta(hours=1) * (1 - share) * 5)
                due_now += step_due is not None and step_due <= NOW
                anchor = None if waiting else created
                steps.append((new_id(), ticket_id, target, kind, "pending", 7200, 0, anchor, step_due, None, None))
    connection = await asyncpg.connect(url)
    try:
        await connection.copy_records_to_table("tickets", records=tickets, columns=TICKET_COLUMNS)
        await connection.copy_records_to_table("ticket_sla_steps", records=steps, columns=STEP_COLUMNS)
    finally:
        await connection.close()
    return due_now


_PLAIN_QUEUE = {
    "all": "",
    "unassigned": " AND assignee_id IS NULL",
    "mine": " AND assignee_id = $2",
    "breaching_soon": " AND sla_due_at <= $2",
}


async def test_agent_queue_and_escalation_sweep_over_100k_tickets():
    from backend.core.authz import Actor, ActorKind, Permission
    from backend.core.db import close_pool, make_engine, start_pool, use_engine
    from backend.core.ids import new_id
    from backend.tickets.services import escalation, reading

    baseline = await pgbench_tps(SERVER)
    agents = [new_id() for _ in range(AGENTS)]
    agent = Actor(ActorKind.USER, agents[0], "Bench agent", frozenset({Permission.TICKETS_READ, Permission.TICKETS_WRITE}))
    async with fresh_database(SERVER, "mirabelle_bench_tickets") as url:
        backlog = await _load(url, agents)
        await vacuum_analyze(url)
        engine = make_engine(url)
        use_engine(engine)
        await start_pool(engine)
        raw = await asyncpg.connect(url)
        try:
            queue_figures = []
            for view in reading.QUEUE_VIEWS:
                service_s, page = await median_seconds(lambda view=view: reading.agent_queue(agent, view, limit=PAGE, now=NOW))
                sql = (
                    "SELECT id, programme_id, category, priority, status, assignee_id, queue, sla_due_at, created_at FROM tickets "
                    f"WHERE status IN ('new', 'open', 'waiting_on_recipient'){_PLAIN_QUEUE[view]} ORDER BY sla_due_at, id LIMIT $1"
                )
                args = {"mine": (agents[0],), "breaching_soon": (NOW + reading.BREACHING_HORIZON,)}.get(view, ())
                plain_s, rows = await median_seconds(lambda sql=sql, args=args: raw.fetch(sql, PAGE, *args))
                assert [row["id"] for row in rows] == [summary.id for summary in page]
                # The page after the first, through the cursor: the keyset stays on the index.
                next_s, _ = await median_seconds(
                    lambda view=view, page=page: reading.agent_queue(agent, view, reading.queue_key(page[-1]), PAGE, now=NOW)
                )
                plan = next(row[0].strip() for row in await raw.fetch(f"EXPLAIN {sql}", PAGE, *args) if "Scan" in row[0])
                queue_figures.append((view, len(page), service_s, next_s, plain_s, plan))
            sweeps = []
            for tick in range(REPEATS):
                at = NOW + TICK * tick
                started = time.perf_counter()
                result = await escalation.sweep(at)
                sweeps.append((at, result, time.perf_counter() - started))
            # A worker back after a day's outage: a day of steps at once (reported; no budget of its own).
            started = time.perf_counter()
            catch_up = await escalation.sweep(NOW + timedelta(days=1))
            catch_up_s = time.perf_counter() - started
            fired = await raw.fetchval("SELECT COUNT(*) FROM outbox_events WHERE topic LIKE 'ticket.sla_%'")
            open_tickets = await raw.fetchval(
                "SELECT COUNT(*) FROM tickets WHERE status IN ('new', 'open', 'waiting_on_recipient')"
            )
        finally:
            await raw.close()
            await close_pool(engine)

    print(f"\n\npgbench TPC-B-like, 8 clients (median of 3): {baseline:,.0f} tps")
    print(f"tickets: {TICKETS:,} ({open_tickets:,} active), 4 SLA steps each; agents: {AGENTS}\n")
    print(
        f"{'queue view':<16} {'rows':>5} {'first page ms':>14} {'next page ms':>13} {'plain SQL ms':>13} {'pages/s × TPC-B':>16}"
    )
    for view, rows, service_s, next_s, plain_s, plan in queue_figures:
        print(
            f"{view:<16} {rows:>5} {service_s * 1000:>14.1f} {next_s * 1000:>13.1f} {plain_s * 1000:>13.1f} {1 / service_s / baseline:>16.3f}"
        )
        print(f"{'':<16} plan: {plan}")
    print(f"\n{'sweep at':<27} {'warnings':>9} {'breaches':>9} {'seconds':>8} {'steps/s':>9} {'× TPC-B':>8}")
    for at, result, seconds in sweeps:
        steps = result.warnings + result.breaches
        print(
            f"{at.isoformat():<27} {result.warnings:>9,} {result.breaches:>9,} {seconds:>8.2f} {steps / seconds:>9,.0f} {steps / seconds / baseline:>8.2f}"
        )
    caught = catch_up.warnings + catch_up.breaches
    print(f"a day's outage caught up: {caught:,} steps in {catch_up_s:.2f} s ({caught / catch_up_s:,.0f} steps/s)")
    print(f"(steps due at the first tick: {backlog:,}; outbox events written: {fired:,})")
    assert sum(result.warnings + result.breaches for _, result, _ in sweeps) + caught == fired
    for view, _, service_s, next_s, _, _ in queue_figures:
        assert service_s < QUEUE_BUDGET_S and next_s < QUEUE_BUDGET_S, f"queue {view}: {service_s:.3f} s / {next_s:.3f} s"
    for at, _, seconds in sweeps:
        assert seconds < SWEEP_BUDGET_S, f"sweep at {at}: {seconds:.2f} s"
