"""What every action on a ticket shares: its row in ``ticket_actions`` (requested, then done, or
pending a second person's approval), its view, and the acting identity with the one permission
the action itself authorises (the agent holds tickets:write; the action's own service, in the
domain below, asks for its own permission, and its audit entry names the agent)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, maybe_utc
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.text import check_text

REFUND_POINTS, REISSUE_CODE, RESEND_REWARD = "refund_points", "reissue_code", "resend_reward"
PENDING_APPROVAL, APPROVED, DONE, REJECTED, WITHDRAWN = "pending_approval", "approved", "done", "rejected", "withdrawn"


@dataclass(frozen=True)
class ActionView:
    id: uuid.UUID
    ticket_id: uuid.UUID
    kind: str
    transfer_id: uuid.UUID | None
    amount: int
    reason: str
    status: str
    requested_by_id: uuid.UUID | None
    requested_by_label: str
    decided_by_label: str | None
    result_transfer_id: uuid.UUID | None
    created_at: datetime
    decided_at: datetime | None
    voided_code_id: uuid.UUID | None = None
    result_code_id: uuid.UUID | None = None
    notice_id: uuid.UUID | None = None


def action_view(row) -> ActionView:
    return ActionView(
        id=row["id"],
        ticket_id=row["ticket"],
        kind=row["kind"],
        transfer_id=row["transfer_id"],
        amount=row["amount"],
        reason=row["reason"],
        status=row["status"],
        requested_by_id=row["requested_by_id"],
        requested_by_label=row["requested_by_label"],
        decided_by_label=row["decided_by_label"],
        result_transfer_id=row["result_transfer_id"],
        created_at=as_utc(row["created_at"]),
        decided_at=maybe_utc(row["decided_at"]),
        voided_code_id=row["voided_code_id"],
        result_code_id=row["result_code_id"],
        notice_id=row["notice_id"],
    )


def acting_for_ticket(actor: Actor, permission: Permission) -> Actor:
    return dataclasses.replace(actor, permissions=actor.permissions | {permission})


def checked_reason(reason: str) -> str:
    check_text("reason", reason, multiline=True)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError.single("REASON_REQUIRED", "say why", field="reason")
    return reason[:500]


async def insert_action(
    actor: Actor, ticket_id: uuid.UUID, kind: str, amount: int, reason: str, now: datetime, transfer_id: uuid.UUID | None = None
):
    """The action as requested (pending approval until its service marks it done); its row."""
    return await sql.fetchrow(
        """INSERT INTO ticket_actions (id, ticket, kind, transfer_id, amount, reason, status, requested_by_id,
        requested_by_label, decided_by_id, decided_by_label, result_transfer_id, created_at, decided_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, $10, NULL) RETURNING *""",
        new_id(),
        ticket_id,
        kind,
        transfer_id,
        amount,
        reason,
        PENDING_APPROVAL,
        actor.id,
        actor.label,
        now,
    )


# One fixed statement for every outcome: a result an action did not make is passed as None and
# keeps its column (NULL while the action was pending).
_MARK_DONE = """UPDATE ticket_actions SET status = $2, result_transfer_id = COALESCE($3, result_transfer_id),
    voided_code_id = COALESCE($4, voided_code_id), result_code_id = COALESCE($5, result_code_id),
    notice_id = COALESCE($6, notice_id) WHERE id = $1 RETURNING *"""


async def mark_done(
    action_id: uuid.UUID,
    *,
    result_transfer_id: uuid.UUID | None = None,
    voided_code_id: uuid.UUID | None = None,
    result_code_id: uuid.UUID | None = None,
    notice_id: uuid.UUID | None = None,
):
    """status done, with the ids of what the action made."""
    return await sql.fetchrow(_MARK_DONE, action_id, DONE, result_transfer_id, voided_code_id, result_code_id, notice_id)
