"""The monthly SLA report of a programme, per priority: tickets opened, first response and
resolution met or breached, time to first response and to resolution (median and p90, wall-clock
hours), and CSAT. Read from the anonymised figures, which retention keeps; a CSV export for admins."""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, maybe_utc
from backend.core.csv_export import csv_text
from backend.core.errors import DomainError
from backend.tickets.views import BREACH, FIRST_RESPONSE, PRIORITIES, RESOLUTION

_ROWS = f"""SELECT t.priority, t.created_at, t.first_responded_at, t.resolved_at, t.csat_score,
    EXISTS (SELECT 1 FROM ticket_sla_steps s WHERE s.ticket = t.id AND s.target = '{FIRST_RESPONSE}'
        AND s.kind = '{BREACH}' AND s.state = 'done') AS first_response_breached,
    EXISTS (SELECT 1 FROM ticket_sla_steps s WHERE s.ticket = t.id AND s.target = '{RESOLUTION}'
        AND s.kind = '{BREACH}' AND s.state = 'done') AS resolution_breached
FROM tickets t WHERE t.programme_id = $1 AND t.created_at >= $2 AND t.created_at < $3"""


@dataclass(frozen=True)
class PriorityFigures:
    priority: str
    opened: int
    first_response_met: int
    first_response_breached: int
    resolution_met: int
    resolution_breached: int
    first_response_hours_median: float | None
    first_response_hours_p90: float | None
    resolution_hours_median: float | None
    resolution_hours_p90: float | None
    csat_count: int
    csat_average: float | None


def _month(year: int, month: int) -> tuple[datetime, datetime]:
    if not 1 <= month <= 12:
        raise DomainError.single("INVALID_MONTH", "a month is 1 to 12", field="month")
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def _median_p90(hours: list[float]) -> tuple[float | None, float | None]:
    if not hours:
        return None, None
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[-1] if len(hours) > 1 else hours[0]
    return round(statistics.median(hours), 2), round(p90, 2)


def _figures(priority: str, rows: list) -> PriorityFigures:
    first = [
        (as_utc(r["first_responded_at"]) - as_utc(r["created_at"])).total_seconds() / 3600
        for r in rows
        if r["first_responded_at"]
    ]
    resolved = [
        (as_utc(r["resolved_at"]) - as_utc(r["created_at"])).total_seconds() / 3600 for r in rows if maybe_utc(r["resolved_at"])
    ]
    scores = [r["csat_score"] for r in rows if r["csat_score"] is not None]
    first_median, first_p90 = _median_p90(first)
    resolution_median, resolution_p90 = _median_p90(resolved)
    return PriorityFigures(
        priority=priority,
        opened=len(rows),
        first_response_met=sum(1 for r in rows if r["first_responded_at"] and not r["first_response_breached"]),
        first_response_breached=sum(1 for r in rows if r["first_response_breached"]),
        resolution_met=sum(1 for r in rows if r["resolved_at"] and not r["resolution_breached"]),
        resolution_breached=sum(1 for r in rows if r["resolution_breached"]),
        first_response_hours_median=first_median,
        first_response_hours_p90=first_p90,
        resolution_hours_median=resolution_median,
        resolution_hours_p90=resolution_p90,
        csat_count=len(scores),
        csat_average=round(statistics.fmean(scores), 2) if scores else None,
    )


async def monthly_report(actor: Actor, programme_id: uuid.UUID, year: int, month: int) -> list[PriorityFigures]:
    """One row per priority (all four, zero when none; a ticket under its current priority, which a
    breach may have raised), for tickets opened in that month (UTC)."""
    actor.require(Permission.REPORTS_READ)
    start, end = _month(year, month)
    rows = await sql.fetch(_ROWS, programme_id, start, end)
    return [_figures(priority, [r for r in rows if r["priority"] == priority]) for priority in PRIORITIES]


async def monthly_report_csv(actor: Actor, programme_id: uuid.UUID, year: int, month: int) -> str:
    figures = await monthly_report(actor, programme_id, year, month)
    header = list(PriorityFigures.__dataclass_fields__)
    return csv_text(header, ([getattr(f, name) for name in header] for f in figures))
