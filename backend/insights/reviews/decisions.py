"""Decisions taken during a review (keep, watch, re-rank, replace the partner, …), recorded on it
while it is open; a closed review refuses them."""

from __future__ import annotations

import uuid

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.core.text import text_error
from backend.insights.reviews.reviews import hold_open
from backend.insights.reviews.views import DECISION_KINDS, DecisionView


def _view(row) -> DecisionView:
    return DecisionView(
        id=row["id"],
        review_id=row["review"],
        partner_id=row["partner_id"],
        kind=row["kind"],
        note=row["note"],
        action_id=row["action_id"],
        decided_by=row["decided_by_label"],
        decided_at=as_utc(row["decided_at"]),
    )


async def record_decision(
    actor: Actor,
    review_id: uuid.UUID,
    kind: str,
    note: str = "",
    partner_id: uuid.UUID | None = None,
    action_id: uuid.UUID | None = None,
) -> DecisionView:
    """Record a decision on an open review. Requires reports:write; audited. ``partner_id``, when
    given, is a partner of the review; ``action_id`` the corrective action taken for it, if any."""
    actor.require(Permission.REPORTS_WRITE)
    errors: list[FieldError] = []
    if kind not in DECISION_KINDS:
        errors.append(FieldError("kind", "INVALID_KIND", f"a decision is one of {', '.join(DECISION_KINDS)}"))
    if (problem := text_error("note", note, 2000, multiline=True)) is not None:
        errors.append(problem)
    if errors:
        raise DomainError(errors)
    decision_id = new_id()
    async with write_transaction():
        await hold_open(review_id)  # REVIEW_CLOSED or NOT_FOUND, and a close waits for this decision
        if partner_id is not None and not await sql.fetch(
            "SELECT id FROM partner_review_lines WHERE review = $1 AND partner_id = $2", review_id, partner_id
        ):
            raise DomainError.single("PARTNER_NOT_IN_REVIEW", f"partner {partner_id} is not in this review", "partner_id")
        row = await sql.fetchrow(
            """INSERT INTO partner_review_decisions (id, review, partner_id, kind, note, action_id, decided_by_id,
            decided_by_label, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *""",
            decision_id,
            review_id,
            partner_id,
            kind,
            note or "",
            action_id,
            actor.id,
            actor.label[:255],
            utcnow(),
        )
        await audit.record(
            actor,
            "partner_review.decision_recorded",
            "partner_review",
            review_id,
            after={
                "decision_id": str(decision_id),
                "kind": kind,
                "partner_id": str(partner_id) if partner_id else None,
                "note": note,
            },
        )
    return _view(row)


async def list_decisions(actor: Actor, review_id: uuid.UUID) -> list[DecisionView]:
    actor.require(Permission.REPORTS_READ)
    rows = await sql.fetch("SELECT * FROM partner_review_decisions WHERE review = $1 ORDER BY decided_at, id", review_id)
    return [_view(row) for row in rows]
