"""The record each corrective action writes in its own transaction (beside the audit entries of
the changes it made), and reading it back: by partner, by review, pending replacements."""

from __future__ import annotations

import json
import uuid

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.insights.actions.views import DONE, KINDS, STATUSES, ActionView, action_view

MAX_NOTE = 4000


def review_id_of(value) -> uuid.UUID | None:
    """A review id as given (UUID, text or None); INVALID_REVIEW_ID for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError.single("INVALID_REVIEW_ID", f"'{value}' is not a review id", field="review_id") from None


def note_of(note: str | None, field: str = "note") -> str:
    check_text(field, note, multiline=True)
    return (note or "").strip()[:MAX_NOTE]


def dumps(value) -> str | None:
    return None if value is None else json.dumps(value, default=str)


async def record(
    actor: Actor,
    kind: str,
    *,
    summary: str,
    request: dict,
    before: dict | None = None,
    after: dict | None = None,
    partner_id: uuid.UUID | None = None,
    review_id: uuid.UUID | None = None,
    status: str = DONE,
    announcement_id: uuid.UUID | None = None,
) -> ActionView:
    """In the caller's transaction: the action's record, and its audit entry. An action taken from
    a review needs the review, open: a closed one is immutable (REVIEW_CLOSED), an unknown one is
    NOT_FOUND (field review_id); either way the caller's transaction rolls back, nothing recorded."""
    if review_id is not None:
        # Imported here: the reviews module reads these records, so a top-level import would be circular.
        from backend.insights.reviews.reviews import require_open

        await require_open(review_id)
    action_id, now = new_id(), utcnow()
    await sql.fetch(
        """INSERT INTO insight_actions (id, kind, status, partner_id, review_id, summary, request, before, after, announcement_id,
        requested_by, requested_by_kind, requested_by_label, requested_at, decided_by, decided_by_label, decided_at, decision_note)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, '', NULL, '')""",
        action_id,
        kind,
        status,
        partner_id,
        review_id,
        summary[:2000],
        dumps(request),
        dumps(before),
        dumps(after),
        announcement_id,
        actor.id,
        actor.kind.value,
        actor.label[:255],
        now,
    )
    await audit.record(
        actor,
        f"insight_action.{kind}" if status == DONE else f"insight_action.{kind}_{status}",
        "insight_action",
        action_id,
        before=before,
        after={"summary": summary, "request": request, "review_id": review_id, "partner_id": partner_id, **(after or {})},
    )
    return await load(action_id)


async def load(action_id: uuid.UUID) -> ActionView:
    row = await sql.fetchrow("SELECT * FROM insight_actions WHERE id = $1", action_id)
    if row is None:
        raise NotFound("corrective action", action_id, field="action_id")
    return action_view(row)


async def get_action(actor: Actor, action_id: uuid.UUID) -> ActionView:
    actor.require(Permission.REPORTS_READ)
    return await load(action_id)


def _where(partner_id, review_id, kind, status) -> sql.Conditions:
    if kind is not None and kind not in KINDS:
        raise DomainError.single("INVALID_KIND", f"an action is one of {', '.join(KINDS)}", field="kind")
    if status is not None and status not in STATUSES:
        raise DomainError.single("INVALID_STATUS", f"an action is {', '.join(STATUSES)}", field="status")
    where = sql.Conditions()
    where.when("partner_id = ?", partner_id)
    where.when("review_id = ?", review_id_of(review_id))
    where.when("kind = ?", kind)
    where.when("status = ?", status)
    return where


async def list_actions(
    actor: Actor,
    *,
    partner_id: uuid.UUID | None = None,
    review_id: uuid.UUID | None = None,
    kind: str | None = None,
    status: str | None = None,
    before_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[ActionView]:
    """Newest first (ids below ``before_id``: the next page): a partner's decisions, a review's
    decisions, the pending replacements."""
    actor.require(Permission.REPORTS_READ)
    where = _where(partner_id, review_id, kind, status)
    where.when("id < ?", before_id)
    query = where.statement("SELECT * FROM insight_actions", order_by="id DESC", limit=max(1, min(limit, 500)))
    rows = await sql.fetch(query, *where.args)
    return [action_view(row) for row in rows]


async def count_actions(
    actor: Actor,
    *,
    partner_id: uuid.UUID | None = None,
    review_id: uuid.UUID | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> int:
    actor.require(Permission.REPORTS_READ)
    where = _where(partner_id, review_id, kind, status)
    row = await sql.fetchrow(where.statement("SELECT COUNT(*) AS n FROM insight_actions"), *where.args)
    return int(row["n"])
