"""A ticket's SLA clocks, kept as escalation steps (see TicketSlaStep): start a target, stop it when
met, pause every running clock while the ticket waits on the recipient and resume on their reply,
retarget when the priority changes; and the ticket's nearest deadline, which the queue sorts by.

Called inside the use case's transaction (conversation, intake); the arithmetic is business_time's."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.core import sql
from backend.core.clock import as_utc
from backend.core.ids import new_id
from backend.tickets.business_time import BusinessCalendar, add_seconds, seconds_between
from backend.tickets.policy import SlaTargets
from backend.tickets.views import BREACH, NEW, NO_DEADLINE, OPEN, WARNING, WARNING_SHARE

PENDING, DONE, CANCELLED = "pending", "done", "cancelled"

_INSERT = """INSERT INTO ticket_sla_steps (id, ticket, target, kind, state, target_s, consumed_s, anchor_at, due_at, stopped_at, done_at)
VALUES ($1, $2, $3, $4, 'pending', $5, 0, $6, $7, NULL, NULL)"""


def step_seconds(kind: str, target_s: int) -> int:
    return int(target_s * WARNING_SHARE) if kind == WARNING else target_s


async def start(ticket_id: uuid.UUID, target: str, targets: SlaTargets, calendar: BusinessCalendar, now: datetime) -> None:
    """Start ``target``'s clock now (its warning and breach steps); a running one is left alone."""
    running = await sql.fetchrow(
        "SELECT id FROM ticket_sla_steps WHERE ticket = $1 AND target = $2 AND stopped_at IS NULL LIMIT 1", ticket_id, target
    )
    if running is not None:
        return
    for kind in (WARNING, BREACH):
        seconds = step_seconds(kind, targets.of(target))
        await sql.run(
            sql.Statement(_INSERT, (new_id(), ticket_id, target, kind, seconds, now, add_seconds(calendar, now, seconds)))
        )


async def stop(ticket_id: uuid.UUID, targets: tuple[str, ...], now: datetime) -> None:
    """The targets were met (or no longer apply): their steps never fire."""
    stopped = sql.Conditions(ticket_id, now)
    stopped.add_clause("ticket = $1 AND stopped_at IS NULL")
    stopped.in_list("target", targets)
    await sql.fetch(
        stopped.statement(
            "UPDATE ticket_sla_steps SET stopped_at = $2, state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END"
        ),
        *stopped.args,
    )


async def _running(ticket_id: uuid.UUID) -> list:
    return list(
        await sql.fetch(
            "SELECT id, target, kind, target_s, consumed_s, anchor_at FROM ticket_sla_steps WHERE ticket = $1 AND state = 'pending'",
            ticket_id,
        )
    )


async def pause(ticket_id: uuid.UUID, calendar: BusinessCalendar, now: datetime) -> None:
    """Bank the business time each running step has used; no step is due while paused."""
    for step in await _running(ticket_id):
        if step["anchor_at"] is None:
            continue
        used = step["consumed_s"] + seconds_between(calendar, as_utc(step["anchor_at"]), now)
        await sql.fetch(
            "UPDATE ticket_sla_steps SET consumed_s = $2, anchor_at = NULL, due_at = NULL WHERE id = $1", step["id"], used
        )


async def resume(ticket_id: uuid.UUID, calendar: BusinessCalendar, now: datetime, targets: SlaTargets | None = None) -> None:
    """Run the paused steps again from now, with what they had left (``targets``: new ones first)."""
    for step in await _running(ticket_id):
        if step["anchor_at"] is not None and targets is None:
            continue
        target_s = step_seconds(step["kind"], targets.of(step["target"])) if targets is not None else step["target_s"]
        consumed = step["consumed_s"]
        if step["anchor_at"] is not None:  # retargeting a running step: bank its time so far
            consumed += seconds_between(calendar, as_utc(step["anchor_at"]), now)
        due = add_seconds(calendar, now, max(0, target_s - consumed))
        await sql.fetch(
            "UPDATE ticket_sla_steps SET target_s = $2, consumed_s = $3, anchor_at = $4, due_at = $5 WHERE id = $1",
            step["id"],
            target_s,
            consumed,
            now,
            due,
        )


async def retarget(ticket_id: uuid.UUID, targets: SlaTargets, calendar: BusinessCalendar, now: datetime, paused: bool) -> None:
    """The priority changed: every step not yet fired follows the new targets (a paused one stays paused)."""
    if not paused:
        await resume(ticket_id, calendar, now, targets)
        return
    for step in await _running(ticket_id):
        await sql.fetch(
            "UPDATE ticket_sla_steps SET target_s = $2 WHERE id = $1",
            step["id"],
            step_seconds(step["kind"], targets.of(step["target"])),
        )


_REFRESH = """UPDATE tickets SET sla_due_at = CASE WHEN status IN ('{new}', '{open}') THEN COALESCE((SELECT MIN(s.due_at)
    FROM ticket_sla_steps s WHERE s.ticket = tickets.id AND s.kind = '{breach}' AND s.stopped_at IS NULL AND s.due_at IS NOT NULL),
    $1) ELSE $1 END WHERE id IN ({{ids}})""".format(new=NEW, open=OPEN, breach=BREACH)


async def refresh_deadline(ticket_ids: list[uuid.UUID]) -> None:
    """Recompute the tickets' nearest breach deadline (none while waiting on the recipient or resolved)."""
    if not ticket_ids:
        return
    marks = ", ".join(f"${index}" for index in range(2, 2 + len(ticket_ids)))
    await sql.fetch(_REFRESH.format(ids=marks), NO_DEADLINE, *ticket_ids)
