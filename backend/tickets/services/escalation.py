"""The SLA escalation sweep, run by the worker's cron: every step whose time has come fires once.

A warning (80 % of a target) notifies; a breach raises the priority one step, reassigns the ticket
to the programme's breach queue or person when it has one, and notifies the assignee and the
programme's admins (the ``ticket.sla_breached`` outbox event; its handler sends). Exactly once,
with any number of workers: a step is taken by a conditional UPDATE (pending → done) in the same
transaction as its effects; on PostgreSQL, SKIP LOCKED lets two sweeps share the work instead of
queueing on each other's rows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from backend.core import audit, outbox, sql
from backend.core.authz import SYSTEM
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.tickets import policy
from backend.tickets.batched_inserts import insert_all
from backend.tickets.services.desk import desk_settings_of
from backend.tickets.views import BREACH, SLA_BREACHED, SLA_WARNING

BATCH = 1000

_TAKE = """UPDATE ticket_sla_steps SET state = 'done', done_at = $1
WHERE state = 'pending' AND due_at IS NOT NULL AND due_at <= $1 AND id IN (
    SELECT id FROM ticket_sla_steps WHERE state = 'pending' AND due_at IS NOT NULL AND due_at <= $1
    ORDER BY due_at LIMIT $2{lock})
RETURNING id, ticket, target, kind, due_at"""

# One step up, as SQL: the breach action for every ticket of a programme in one statement.
_RAISE = (
    "CASE priority " + " ".join(f"WHEN '{p}' THEN '{policy.raised(p)}'" for p in ("low", "normal", "high")) + " ELSE priority END"
)
_RAISE_TICKETS = (
    "UPDATE tickets SET priority = " + _RAISE + ", assignee_id = COALESCE($1, assignee_id), queue = COALESCE($2, queue)"
)


@dataclass(frozen=True)
class SweepResult:
    warnings: int
    breaches: int


async def sweep(now: datetime | None = None, batch: int = BATCH) -> SweepResult:
    """Fire every due step, a batch per transaction, until none is due."""
    now = as_utc(now or utcnow())
    warnings = breaches = 0
    while True:
        taken, events = await _sweep_batch(now, batch)
        await outbox.ring(events)
        if not taken:
            return SweepResult(warnings, breaches)
        breaches += sum(1 for step in taken if step["kind"] == BREACH)
        warnings += sum(1 for step in taken if step["kind"] != BREACH)


async def _sweep_batch(now: datetime, batch: int) -> tuple[list, list[uuid.UUID]]:
    async with write_transaction():
        taken = list(await sql.fetch(_TAKE.format(lock="" if sql.is_sqlite() else " FOR UPDATE SKIP LOCKED"), now, batch))
        if not taken:
            return [], []
        ticket_ids = sorted({step["ticket"] for step in taken})
        wanted = sql.Conditions().in_list("id", ticket_ids)
        tickets = {
            row["id"]: row
            for row in await sql.fetch(
                wanted.statement("SELECT id, programme_id, priority, assignee_id, queue FROM tickets"), *wanted.args
            )
        }
        breached = {step["ticket"] for step in taken if step["kind"] == BREACH}
        after = await _breach_actions(tickets, breached)
        statements, event_ids = [], []
        for step in taken:
            ticket = after.get(step["ticket"], tickets[step["ticket"]])
            topic = SLA_BREACHED if step["kind"] == BREACH else SLA_WARNING
            payload = {
                "ticket_id": str(step["ticket"]),
                "programme_id": str(ticket["programme_id"]),
                "target": step["target"],
                "due_at": as_utc(step["due_at"]).isoformat(),
                "priority": ticket["priority"],
                "assignee_id": str(ticket["assignee_id"]) if ticket["assignee_id"] else None,
                "queue": ticket["queue"],
            }
            event_id, insert = outbox.event(topic, payload)
            event_ids.append(event_id)
            statements.append(insert)
        await insert_all(statements)
        await insert_all(
            [
                audit.entry(SYSTEM, f"ticket.sla_{step['kind']}", "ticket", step["ticket"], after={"target": step["target"]})
                for step in taken
            ]
        )
        return taken, event_ids


async def _breach_actions(tickets: dict, breached: set[uuid.UUID]) -> dict:
    """Raise the priority of the breached tickets and reassign them per their programme's settings;
    returns their rows after the change."""
    if not breached:
        return {}
    by_programme: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for ticket_id in sorted(breached):
        by_programme[tickets[ticket_id]["programme_id"]].append(ticket_id)
    settings = await desk_settings_of(set(by_programme))
    after = {}
    for programme_id, ids in by_programme.items():
        raised = sql.Conditions(settings[programme_id].breach_assignee_id, settings[programme_id].breach_queue).in_list("id", ids)
        rows = await sql.fetch(
            raised.statement(_RAISE_TICKETS, tail="RETURNING id, programme_id, priority, assignee_id, queue"), *raised.args
        )
        after.update({row["id"]: row for row in rows})
    return after
