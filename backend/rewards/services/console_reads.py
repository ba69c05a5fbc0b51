"""Reads the console needs that the issuance and upload use cases do not (yet) offer: a
recipient's rewards for their history, and the list of bulk uploads. Read-only."""

from __future__ import annotations

import uuid

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError
from backend.rewards.uploads.tables import RewardUpload
from backend.rewards.uploads.views import UPLOAD_STATUSES, upload_view
from backend.rewards.views import Page, issuance_view


async def recipient_issuances(actor: Actor, recipient_id: uuid.UUID, offset: int = 0, limit: int = 50) -> Page:
    """The rewards of one recipient across campaigns, newest first (through reward_issuances_by_recipient)."""
    actor.require(Permission.REWARDS_READ)
    limit, offset = max(1, min(limit, 500)), max(0, offset)
    rows = await sql.fetch(f"SELECT * FROM reward_issuances WHERE recipient_id = $1 ORDER BY id DESC LIMIT {limit} OFFSET {offset}",
                           recipient_id)
    total = await sql.fetchrow("SELECT COUNT(*) AS n FROM reward_issuances WHERE recipient_id = $1", recipient_id)
    return Page(rows=[issuance_view(row) for row in rows], total=int(total["n"]))




async def list_uploads(actor: Actor, campaign_id: uuid.UUID | None = None, status: str | None = None, offset: int = 0,
                       limit: int = 50) -> Page:
    """Bulk uploads, newest first, optionally of one campaign and in one status."""
    actor.require(Permission.REWARDS_READ)
    if status is not None and status not in UPLOAD_STATUSES:
        raise DomainError.single("INVALID_STATUS", f"an upload is {', '.join(UPLOAD_STATUSES)}", field="status")
    query, counting = RewardUpload.select(), RewardUpload.count()
    for term in ([RewardUpload.campaign_id == campaign_id] if campaign_id else []) + ([RewardUpload.status == status] if status else []):
        query, counting = query.where(term), counting.where(term)
    rows = await query.order_by(RewardUpload.id, ascending=False).offset(max(0, offset)).limit(max(1, min(limit, 500)))
    return Page(rows=[upload_view(row) for row in rows], total=await counting)

