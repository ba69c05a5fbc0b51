"""Monthly partner reviews: one per programme and month, started by the cron on the 1st or on demand,
holding every partner's figures for the month against the month before and the flags open then. A
review is worked while open (decisions recorded on it) and closed for good: a closed review refuses
every change, and the refusal says so.

Exactly once: UNIQUE (programme_id, month) decides between two workers (or a worker and an admin);
the one that loses gets the review the other made. The report goes out after commit, through the
``partner_review.started`` outbox event (reviews.mailing)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from backend.core import audit, outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import as_utc, maybe_utc, utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.core.views import json_value
from backend.insights.actions.services import records as action_records
from backend.insights.reviews import flags as flag_service
from backend.insights.reviews.figures import period_figures
from backend.insights.reviews.months import last_day, month_text, parse_month, previous_month
from backend.insights.reviews.views import CLOSED, OPEN, REVIEW_STARTED, Figures, ReviewLineView, ReviewView
from backend.partners.services.profiles import partners_by_ids
from backend.recipients import services as recipients


@dataclass(frozen=True)
class ReviewStart:
    review: ReviewView
    created: bool  # False: the month's review already existed (another worker, or an earlier start)


def review_view(row) -> ReviewView:
    return ReviewView(
        id=row["id"],
        programme_id=row["programme_id"],
        month=row["month"],
        currency=row["currency"],
        status=row["status"],
        partner_count=row["partner_count"],
        flagged_count=row["flagged_count"],
        decision_count=row["decision_count"],
        started_at=as_utc(row["started_at"]),
        started_by=row["started_by_label"],
        closed_at=maybe_utc(row["closed_at"]),
        closed_by=row["closed_by_label"],
        closing_note=row["closing_note"],
    )


def _figures(row, prefix: str = "") -> Figures:
    return Figures(
        views=row[f"{prefix}views"],
        activations=row[f"{prefix}activations"],
        redemptions=row[f"{prefix}redemptions"],
        spend_minor=row[f"{prefix}spend_minor"],
        activation_bp=row[f"{prefix}activation_bp"],
        redemption_bp=row[f"{prefix}redemption_bp"],
        spend_share_bp=row[f"{prefix}spend_share_bp"],
        last_redemption_on=row["last_redemption_on"] if not prefix else None,
    )


def line_view(row) -> ReviewLineView:
    return ReviewLineView(
        partner_id=row["partner_id"],
        partner_name=row["partner_name"],
        category=row["category"],
        current=_figures(row),
        previous=_figures(row, "previous_"),
        flags=list(json_value(row["flags"]) or []),
    )


def default_month() -> str:
    """The month before this one: what the cron on the 1st reviews."""
    return month_text(previous_month(utcnow().date().replace(day=1)))


_INSERT_REVIEW = """INSERT INTO partner_reviews (id, programme_id, month, currency, status, partner_count, flagged_count,
decision_count, started_at, started_by_id, started_by_label, closing_note) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, '')
ON CONFLICT DO NOTHING RETURNING *"""
_INSERT_LINE = """INSERT INTO partner_review_lines (id, review, partner_id, partner_name, category, views, activations,
redemptions, spend_minor, activation_bp, redemption_bp, spend_share_bp, last_redemption_on, previous_views,
previous_activations, previous_redemptions, previous_spend_minor, previous_activation_bp, previous_redemption_bp,
previous_spend_share_bp, flags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"""


async def start_review(actor: Actor, programme_id: uuid.UUID, month: str | None = None) -> ReviewStart:
    """The programme's review of ``month`` (YYYY-MM; default: last month), made once. Requires
    reports:write. A month that has not begun is refused."""
    actor.require(Permission.REPORTS_WRITE)
    first = parse_month(month or default_month())
    if first > utcnow().date():
        raise DomainError.single("MONTH_NOT_STARTED", f"{month_text(first)} has not begun: there is nothing to review", "month")
    existing = await _by_month(programme_id, month_text(first))
    if existing is not None:
        return ReviewStart(existing, created=False)
    programme = await recipients.get_programme(SYSTEM, programme_id)  # NotFound for an unknown programme
    current = await period_figures(programme_id, first, last_day(first))
    before = previous_month(first)
    previous = await period_figures(programme_id, before, last_day(before))
    open_flags: dict[uuid.UUID, list[dict]] = {}
    for flag in await flag_service.open_flags(SYSTEM, programme_id):
        open_flags.setdefault(flag.partner_id, []).append(
            {
                "metric": flag.metric,
                "figure": flag.last_figure,
                "limit_value": flag.limit_value,
                "window_days": flag.window_days,
                "raised_at": flag.raised_at.isoformat(),
                "words": flag.words,
            }
        )
    partner_ids = sorted(set(current) | set(previous) | set(open_flags))
    partners = await partners_by_ids(SYSTEM, partner_ids)
    review_id, now = new_id(), utcnow()
    async with write_transaction():
        row = await sql.fetchrow(
            _INSERT_REVIEW,
            review_id,
            programme_id,
            month_text(first),
            programme.currency,
            OPEN,
            len(partner_ids),
            sum(1 for partner_id in partner_ids if partner_id in open_flags),
            now,
            actor.id,
            actor.label[:255],
        )
        if row is None:  # another worker made it first: theirs is the review
            return ReviewStart(await _by_month(programme_id, month_text(first)), created=False)
        for partner_id in partner_ids:
            this, last = current.get(partner_id), previous.get(partner_id)
            now_figures, then = this.figures if this else Figures(), last.figures if last else Figures()
            partner = partners.get(partner_id)
            name = partner.name if partner else (this or last).partner_name if (this or last) else str(partner_id)
            await sql.fetch(
                _INSERT_LINE,
                new_id(),
                review_id,
                partner_id,
                name[:200],
                partner.category if partner else "",
                now_figures.views,
                now_figures.activations,
                now_figures.redemptions,
                now_figures.spend_minor,
                now_figures.activation_bp,
                now_figures.redemption_bp,
                now_figures.spend_share_bp,
                now_figures.last_redemption_on,
                then.views,
                then.activations,
                then.redemptions,
                then.spend_minor,
                then.activation_bp,
                then.redemption_bp,
                then.spend_share_bp,
                json.dumps(open_flags.get(partner_id, [])),
            )
        event_id = await outbox.add(REVIEW_STARTED, {"review_id": str(review_id), "programme_id": str(programme_id)})
        await audit.record(
            actor,
            "partner_review.started",
            "partner_review",
            review_id,
            after={"programme_id": str(programme_id), "month": month_text(first)},
        )
    await outbox.ring([event_id])
    return ReviewStart(review_view(row), created=True)


async def _by_month(programme_id: uuid.UUID, month: str) -> ReviewView | None:
    row = await sql.fetchrow("SELECT * FROM partner_reviews WHERE programme_id = $1 AND month = $2", programme_id, month)
    return review_view(row) if row else None


async def get_review(actor: Actor, review_id: uuid.UUID) -> ReviewView:
    actor.require(Permission.REPORTS_READ)
    row = await sql.fetchrow("SELECT * FROM partner_reviews WHERE id = $1", review_id)
    if row is None:
        raise NotFound("partner review", review_id, field="review_id")
    return review_view(row)


async def list_reviews(actor: Actor, programme_id: uuid.UUID | None = None, limit: int = 120) -> list[ReviewView]:
    """Newest month first."""
    actor.require(Permission.REPORTS_READ)
    if programme_id is None:
        rows = await sql.fetch("SELECT * FROM partner_reviews ORDER BY month DESC, id DESC LIMIT $1", limit)
    else:
        rows = await sql.fetch(
            "SELECT * FROM partner_reviews WHERE programme_id = $1 ORDER BY month DESC LIMIT $2", programme_id, limit
        )
    return [review_view(row) for row in rows]


async def review_lines(actor: Actor, review_id: uuid.UUID) -> list[ReviewLineView]:
    """Flagged partners first, then by spend."""
    actor.require(Permission.REPORTS_READ)
    rows = await sql.fetch(
        "SELECT * FROM partner_review_lines WHERE review = $1 ORDER BY spend_minor DESC, partner_name", review_id
    )
    lines = [line_view(row) for row in rows]
    return sorted(lines, key=lambda line: not line.flagged)


def _closed(review: ReviewView) -> DomainError:
    when = review.closed_at.strftime("%Y-%m-%d %H:%M UTC") if review.closed_at else ""
    return DomainError.single(
        "REVIEW_CLOSED",
        f"the {review.month} review was closed by {review.closed_by} on {when}: it can no longer change",
        "review_id",
    )


async def close_review(actor: Actor, review_id: uuid.UUID, note: str = "") -> ReviewView:
    """Close the review for good. Requires reports:write; audited; a closed review refuses."""
    actor.require(Permission.REPORTS_WRITE)
    check_text("note", note, 2000, multiline=True)
    async with write_transaction():
        # Take the review's row first: a decision being recorded holds it, and the close's time is
        # read once that decision has committed, so no decision is ever later than the close.
        await sql.fetch("UPDATE partner_reviews SET status = status WHERE id = $1 AND status = $2", review_id, OPEN)
        row = await sql.fetchrow(
            """UPDATE partner_reviews SET status = $2, closed_at = $3, closed_by_id = $4, closed_by_label = $5, closing_note = $6
            WHERE id = $1 AND status = $7 RETURNING *""",
            review_id,
            CLOSED,
            utcnow(),
            actor.id,
            actor.label[:255],
            note or "",
            OPEN,
        )
        if row is None:
            raise _closed(await get_review(SYSTEM, review_id))  # NotFound for an unknown review
        await audit.record(
            actor, "partner_review.closed", "partner_review", review_id, {"status": OPEN}, {"status": CLOSED, "note": note}
        )
    return review_view(row)


async def hold_open(review_id: uuid.UUID) -> None:
    """Inside a write transaction: count one more decision on the review if it is still open —
    the conditional UPDATE also locks it, so a close waits for this transaction — else refuse."""
    held = await sql.fetch(
        "UPDATE partner_reviews SET decision_count = decision_count + 1 WHERE id = $1 AND status = $2 RETURNING id",
        review_id,
        OPEN,
    )
    if not held:
        raise _closed(await get_review(SYSTEM, review_id))


async def start_monthly_reviews(month: str | None = None) -> int:
    """The cron on the 1st: every active programme's review of last month; returns how many were
    made now (a second worker, or a re-run, makes none)."""
    made, after = 0, None
    while True:
        programmes = await recipients.programmes_after(SYSTEM, after, 200)
        for programme in programmes:
            if programme.status == "active":
                made += (await start_review(SYSTEM, programme.id, month)).created
        if len(programmes) < 200:
            return made
        after = programmes[-1].id


async def reviews_before(actor: Actor, programme_id: uuid.UUID, before_month: str | None, limit: int) -> list[ReviewView]:
    """A keyset page of the programme's reviews, newest month first, strictly before ``before_month``."""
    actor.require(Permission.REPORTS_READ)
    rows = await sql.fetch(
        "SELECT * FROM partner_reviews WHERE programme_id = $1 AND month < $2 ORDER BY month DESC LIMIT $3",
        programme_id,
        before_month or "9999-12",
        limit,
    )
    return [review_view(row) for row in rows]


async def count_reviews(actor: Actor, programme_id: uuid.UUID) -> int:
    actor.require(Permission.REPORTS_READ)
    row = await sql.fetchrow("SELECT COUNT(*) AS n FROM partner_reviews WHERE programme_id = $1", programme_id)
    return int(row["n"])


async def require_open(review_id: uuid.UUID) -> ReviewView:
    """For a service that records work on a review (a corrective action): the review, if it is
    open; REVIEW_CLOSED or NOT_FOUND otherwise."""
    review = await get_review(SYSTEM, review_id)
    if review.is_closed:
        raise _closed(review)
    return review


async def review_actions(actor: Actor, review_id: uuid.UUID) -> list:
    """The corrective actions taken from the review (insights' actions record the review's id)."""
    return await action_records.list_actions(actor, review_id=review_id, limit=500)
