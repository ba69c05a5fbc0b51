"""Flags at once: a partner's figures are judged against its programme's thresholds whenever its
roll-ups change (and by a sweep every minute, since days without a redemption grow with no event at
all). A partner past a threshold is flagged once — the partial unique index over open flags decides,
so two workers evaluating at the same time raise one flag and one ``partner.flagged`` event — and
the flag is cleared when an evaluation finds the figure recovered."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import structlog

from backend.core import outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import as_utc, maybe_utc, utcnow
from backend.core.db import write_transaction
from backend.core.ids import new_id
from backend.insights.reviews.figures import PartnerPeriod, metric_figure, period_figures, window
from backend.insights.reviews.thresholds import thresholds_of
from backend.insights.reviews.views import DAYS_WITHOUT_REDEMPTION, PARTNER_FLAGGED, Figures, FlagView, ThresholdView, breaches
from backend.partners.services.profiles import partners_by_ids

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Evaluation:
    raised: int = 0
    cleared: int = 0


def lookback_days(threshold: ThresholdView) -> int:
    """Days without a redemption look back far enough to see the limit passed."""
    if threshold.metric == DAYS_WITHOUT_REDEMPTION:
        return max(threshold.window_days, threshold.limit_value + 1)
    return threshold.window_days


def _flag(row) -> FlagView:
    return FlagView(
        id=row["id"],
        programme_id=row["programme_id"],
        partner_id=row["partner_id"],
        partner_name=row["partner_name"],
        threshold_id=row["threshold_id"],
        metric=row["metric"],
        category=row["category"],
        figure=row["figure"],
        last_figure=row["last_figure"],
        limit_value=row["limit_value"],
        window_days=row["window_days"],
        raised_at=as_utc(row["raised_at"]),
        cleared_at=maybe_utc(row["cleared_at"]),
    )


_RAISE = """INSERT INTO partner_flags (id, programme_id, partner_id, partner_name, threshold_id, metric, category, figure,
limit_value, window_days, raised_at, last_figure, evaluated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $8, $11)
ON CONFLICT DO NOTHING RETURNING *"""
_STILL = """UPDATE partner_flags SET last_figure = $3, evaluated_at = $4 WHERE threshold_id = $1 AND partner_id = $2
AND cleared_at IS NULL"""
_CLEAR = """UPDATE partner_flags SET last_figure = $3, evaluated_at = $4, cleared_at = $4 WHERE threshold_id = $1
AND partner_id = $2 AND cleared_at IS NULL RETURNING id"""


async def evaluate_partner(programme_id: uuid.UUID, partner_id: uuid.UUID, today: date | None = None) -> Evaluation:
    """Judge one partner against its programme's thresholds now (after its roll-ups changed)."""
    return await evaluate_programme(programme_id, {partner_id}, today)


async def evaluate_programme(
    programme_id: uuid.UUID, partner_ids: set[uuid.UUID] | None = None, today: date | None = None
) -> Evaluation:
    """Judge the programme's partners (or only ``partner_ids``): raise what crossed, clear what
    recovered. A figure with nothing to judge (no views yet, fewer than the threshold's minimum)
    leaves a flag as it is."""
    thresholds = await thresholds_of(programme_id)
    if not thresholds:
        return Evaluation()
    today = today or utcnow().date()
    periods: dict[int, dict[uuid.UUID, PartnerPeriod]] = {}
    for threshold in thresholds:
        days = lookback_days(threshold)
        if days not in periods:
            periods[days] = await period_figures(programme_id, *window(today, days))
    flagged = await sql.fetch(
        "SELECT partner_id, partner_name, threshold_id, last_figure FROM partner_flags WHERE programme_id = $1 AND cleared_at IS NULL",
        programme_id,
    )
    names = {row["partner_id"]: row["partner_name"] for row in flagged}
    # Only changes are written: a steady sweep of a large programme is reads alone.
    open_figures = {(row["threshold_id"], row["partner_id"]): row["last_figure"] for row in flagged}
    for by_partner in periods.values():
        names.update({partner: period.partner_name for partner, period in by_partner.items()})
    candidates = set(names) if partner_ids is None else set(names) & set(partner_ids)
    if not candidates:
        return Evaluation()
    categories = {partner.id: partner.category for partner in (await partners_by_ids(SYSTEM, sorted(candidates))).values()}
    raised: list[uuid.UUID] = []
    cleared = 0
    now = utcnow()
    async with write_transaction():
        for partner_id in sorted(candidates):
            for threshold in thresholds:
                if threshold.category and categories.get(partner_id) != threshold.category:
                    continue
                days = lookback_days(threshold)
                period = periods[days].get(partner_id)
                figures = period.figures if period else Figures()
                if figures.views < threshold.min_views:
                    continue
                figure = metric_figure(threshold.metric, figures, today, days)
                if figure is None:
                    continue
                key = (threshold.id, partner_id)
                if not breaches(threshold.metric, figure, threshold.limit_value):
                    if key in open_figures:
                        cleared += len(await sql.fetch(_CLEAR, threshold.id, partner_id, figure, now))
                    continue
                if key in open_figures:  # flagged already: the figure follows
                    if open_figures[key] != figure:
                        await sql.fetch(_STILL, threshold.id, partner_id, figure, now)
                    continue
                row = await sql.fetchrow(
                    _RAISE,
                    new_id(),
                    programme_id,
                    partner_id,
                    names[partner_id][:200],
                    threshold.id,
                    threshold.metric,
                    threshold.category,
                    figure,
                    threshold.limit_value,
                    threshold.window_days,
                    now,
                )
                if row is None:  # another evaluation raised it a moment ago
                    continue
                raised.append(await outbox.add(PARTNER_FLAGGED, _payload(_flag(row))))
    await outbox.ring(raised)
    if raised or cleared:
        log.info("insights.partner_flags", programme_id=str(programme_id), raised=len(raised), cleared=cleared)
    return Evaluation(raised=len(raised), cleared=cleared)


def _payload(flag: FlagView) -> dict:
    return {
        "flag_id": str(flag.id),
        "programme_id": str(flag.programme_id),
        "partner_id": str(flag.partner_id),
        "partner_name": flag.partner_name,
        "metric": flag.metric,
        "figure": flag.figure,
        "limit_value": flag.limit_value,
        "window_days": flag.window_days,
        "raised_at": flag.raised_at.isoformat(),
        "words": flag.words,
    }


async def sweep(today: date | None = None) -> Evaluation:
    """Every programme with a threshold, every partner: the minute cron's work."""
    rows = await sql.fetch("SELECT DISTINCT programme_id FROM performance_thresholds ORDER BY programme_id")
    raised = cleared = 0
    for row in rows:
        result = await evaluate_programme(row["programme_id"], today=today)
        raised, cleared = raised + result.raised, cleared + result.cleared
    return Evaluation(raised=raised, cleared=cleared)


# ---------------------------------------------------------------- reading


async def open_flags(actor: Actor, programme_id: uuid.UUID | None = None, partner_id: uuid.UUID | None = None) -> list[FlagView]:
    """Open flags, newest first: a programme's, a partner's, or all (the admins' attention list)."""
    actor.require(Permission.REPORTS_READ)
    conditions = sql.Conditions()
    conditions.when("programme_id = ?", programme_id)
    conditions.when("partner_id = ?", partner_id)
    narrowed = "".join(f" AND {clause}" for clause in conditions.clauses)
    rows = await sql.fetch(
        f"SELECT * FROM partner_flags WHERE cleared_at IS NULL{narrowed} ORDER BY raised_at DESC, id DESC LIMIT 500",
        *conditions.args,
    )
    return [_flag(row) for row in rows]


async def count_open_flags(actor: Actor) -> int:
    actor.require(Permission.REPORTS_READ)
    row = await sql.fetchrow("SELECT COUNT(*) AS n FROM partner_flags WHERE cleared_at IS NULL")
    return int(row["n"])


async def flag_history(actor: Actor, partner_id: uuid.UUID, limit: int = 50) -> list[FlagView]:
    """A partner's flags, open and cleared, newest first."""
    actor.require(Permission.REPORTS_READ)
    rows = await sql.fetch(
        "SELECT * FROM partner_flags WHERE partner_id = $1 ORDER BY raised_at DESC, id DESC LIMIT $2", partner_id, limit
    )
    return [_flag(row) for row in rows]
