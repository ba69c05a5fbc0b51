"""Performance thresholds per programme and partner category: set (created or changed), listed and
removed by admins, every change audited. A removed threshold's open flags are cleared with it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from backend.core import audit, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.ids import new_id
from backend.core.text import text_error
from backend.insights.reviews.tables import PerformanceThreshold
from backend.insights.reviews.views import DAYS_WITHOUT_REDEMPTION, METRIC_LABELS, METRICS, ThresholdView
from backend.recipients import services as recipients

MAX_WINDOW_DAYS = 366
MAX_DAYS_WITHOUT_REDEMPTION = 3650


@dataclass(frozen=True)
class ThresholdInput:
    programme_id: uuid.UUID
    metric: str
    limit_value: int  # basis points for a rate or share (20 % is 2000), days for days without a redemption
    window_days: int = 30
    category: str | None = None  # None or "": every partner of the programme
    min_views: int = 0


def _view(row) -> ThresholdView:
    return ThresholdView(
        id=row["id"],
        programme_id=row["programme_id"],
        category=row["category"],
        metric=row["metric"],
        limit_value=row["limit_value"],
        window_days=row["window_days"],
        min_views=row["min_views"],
        updated_at=as_utc(row["updated_at"]),
        updated_by=row["updated_by_label"],
    )


def clean_category(category: str | None) -> str | None:
    """As partners keep theirs: spaces collapsed, lower case; blank is every category."""
    cleaned = " ".join((category or "").split()).lower()
    return cleaned or None


def validate(data: ThresholdInput) -> ThresholdInput:
    """Every problem at once, each on its field, in words; nothing is written when there is one."""
    errors: list[FieldError] = []
    if data.metric not in METRICS:
        errors.append(FieldError("metric", "INVALID_METRIC", f"the metric is one of {', '.join(METRICS)}"))
    if (problem := text_error("category", data.category, 60)) is not None:
        errors.append(problem)
    if not isinstance(data.window_days, int) or not 1 <= data.window_days <= MAX_WINDOW_DAYS:
        errors.append(FieldError("window_days", "INVALID_WINDOW", f"the window is 1 to {MAX_WINDOW_DAYS} days"))
    if not isinstance(data.min_views, int) or data.min_views < 0:
        errors.append(FieldError("min_views", "INVALID_MIN_VIEWS", "the minimum number of views is 0 or more"))
    if data.metric == DAYS_WITHOUT_REDEMPTION:
        if not isinstance(data.limit_value, int) or not 1 <= data.limit_value <= MAX_DAYS_WITHOUT_REDEMPTION:
            errors.append(
                FieldError("limit_value", "INVALID_LIMIT", f"days without a redemption are 1 to {MAX_DAYS_WITHOUT_REDEMPTION}")
            )
    elif data.metric in METRICS and (not isinstance(data.limit_value, int) or not 1 <= data.limit_value <= 10_000):
        label = METRIC_LABELS[data.metric].lower()
        errors.append(
            FieldError(
                "limit_value", "INVALID_LIMIT", f"the {label} limit is above 0 % and at most 100 % (1 to 10000 basis points)"
            )
        )
    if errors:
        raise DomainError(errors)
    return ThresholdInput(
        programme_id=data.programme_id,
        metric=data.metric,
        limit_value=data.limit_value,
        window_days=data.window_days,
        category=clean_category(data.category),
        min_views=data.min_views,
    )


def _audited(view: ThresholdView | None) -> dict | None:
    if view is None:
        return None
    return {
        "category": view.category,
        "metric": view.metric,
        "limit_value": view.limit_value,
        "window_days": view.window_days,
        "min_views": view.min_views,
    }


async def _row(programme_id: uuid.UUID, category: str | None, metric: str):
    return await sql.fetchrow(
        "SELECT * FROM performance_thresholds WHERE programme_id = $1 AND COALESCE(category, '') = $2 AND metric = $3",
        programme_id,
        category or "",
        metric,
    )


async def set_threshold(actor: Actor, data: ThresholdInput) -> ThresholdView:
    """Create the programme's threshold for (category, metric), or change it. Requires
    reports:write; audited. Partners are evaluated against it at the next sweep (within a minute)."""
    actor.require(Permission.REPORTS_WRITE)
    data = validate(data)
    await recipients.get_programme(SYSTEM, data.programme_id)  # NotFound for an unknown programme
    now = utcnow()
    async with write_transaction():
        before = await _row(data.programme_id, data.category, data.metric)
        if before is None:
            await sql.fetch(
                """INSERT INTO performance_thresholds (id, programme_id, category, metric, limit_value, window_days,
                min_views, created_at, updated_at, updated_by_label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
                ON CONFLICT DO NOTHING""",
                new_id(),
                data.programme_id,
                data.category,
                data.metric,
                data.limit_value,
                data.window_days,
                data.min_views,
                now,
                actor.label[:255],
            )
        else:
            await sql.fetch(
                """UPDATE performance_thresholds SET limit_value = $2, window_days = $3, min_views = $4, updated_at = $5,
                updated_by_label = $6 WHERE id = $1""",
                before["id"],
                data.limit_value,
                data.window_days,
                data.min_views,
                now,
                actor.label[:255],
            )
        view = _view(await _row(data.programme_id, data.category, data.metric))
        await audit.record(
            actor,
            "performance_threshold.set",
            "performance_threshold",
            view.id,
            _audited(_view(before)) if before else None,
            _audited(view) | {"programme_id": str(view.programme_id)},
        )
    return view


async def list_thresholds(actor: Actor, programme_id: uuid.UUID) -> list[ThresholdView]:
    actor.require(Permission.REPORTS_READ)
    rows = await sql.fetch(
        "SELECT * FROM performance_thresholds WHERE programme_id = $1 ORDER BY COALESCE(category, ''), metric", programme_id
    )
    return [_view(row) for row in rows]


async def thresholds_of(programme_id: uuid.UUID) -> list[ThresholdView]:
    """For the evaluation (the system's own read)."""
    return await list_thresholds(SYSTEM, programme_id)


async def programmes_with_thresholds(programme_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these programmes have a threshold (only their changed roll-ups are worth judging)."""
    if not programme_ids:
        return set()
    rows = await (
        PerformanceThreshold.select(PerformanceThreshold.programme_id)
        .where(PerformanceThreshold.programme_id.is_in(list(programme_ids)))
        .distinct()
    )
    return {row["programme_id"] for row in rows}


async def remove_threshold(actor: Actor, threshold_id: uuid.UUID) -> ThresholdView:
    """Remove a threshold; its open flags are cleared at once. Requires reports:write; audited."""
    actor.require(Permission.REPORTS_WRITE)
    async with write_transaction():
        row = await sql.fetchrow("SELECT * FROM performance_thresholds WHERE id = $1", threshold_id)
        if row is None:
            raise NotFound("threshold", threshold_id, field="threshold_id")
        view = _view(row)
        await sql.fetch(
            "UPDATE partner_flags SET cleared_at = $2 WHERE threshold_id = $1 AND cleared_at IS NULL", threshold_id, utcnow()
        )
        await sql.fetch("DELETE FROM performance_thresholds WHERE id = $1", threshold_id)
        await audit.record(
            actor,
            "performance_threshold.removed",
            "performance_threshold",
            threshold_id,
            _audited(view) | {"programme_id": str(view.programme_id)},
        )
    return view


def limit_from_text(metric: str, text: str) -> int:
    """A limit as a person types it — a percentage ("20", "12.5 %") for a rate or share, whole days
    for days without a redemption — in the threshold's unit; INVALID_LIMIT in words otherwise."""
    cleaned = (text or "").strip().removesuffix("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if metric == DAYS_WITHOUT_REDEMPTION:
        if value is None or value != value.to_integral_value():
            raise DomainError.single("INVALID_LIMIT", "days without a redemption are a whole number, e.g. 14", "limit_value")
        return int(value)
    if value is None or not value.is_finite() or (value * 100) != (value * 100).to_integral_value():
        raise DomainError.single(
            "INVALID_LIMIT", "the limit is a percentage with at most two decimals, e.g. 20 or 12.5", "limit_value"
        )
    return int(value * 100)
