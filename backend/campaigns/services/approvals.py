"""The approval queue of a campaign in ``admin_approval`` mode, and who may decide it.

Decision: a pending reward **holds** its count and value (the campaign's ``pending_*`` counters,
and the recipient's tally), so approving the whole queue can never overrun the maximum or the
budget; approval re-checks that the campaign is still active and within its dates (and the budget,
as a backstop), and rejection releases the hold. Deciding itself (crediting points, allocating a
code, marking the issuance) is the rewards domain's ``approvals`` use case, which calls
``governance.settle`` / ``governance.release`` in its transaction: this module only reads.

Who approves: a *person* (a console user, never an API key) holding ``campaigns:write`` — the
campaign managers and admins — and never the one who asked for the reward (maker-checker). A
reward asked for through the API has the API key as its maker, so any such person may approve it.
"""

from __future__ import annotations

import uuid

from backend.campaigns.services.campaigns import load_campaign
from backend.campaigns.views import GRANT_PENDING, GrantView, Page, grant_view
from backend.core import sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.errors import DomainError

APPROVER_REQUIRED = "APPROVER_REQUIRED"
SELF_APPROVAL = "SELF_APPROVAL"


def require_approver(actor: Actor) -> None:
    """A person with campaigns:write (FORBIDDEN, or APPROVER_REQUIRED for an API key or the system)."""
    actor.require(Permission.CAMPAIGNS_WRITE)
    if actor.kind is not ActorKind.USER:
        raise DomainError.single(
            APPROVER_REQUIRED, f"{actor.label} is not a person: rewards are approved by a campaign manager or an admin"
        )


def is_maker(actor: Actor, grant: GrantView) -> bool:
    """Whether ``actor`` asked for the reward (a person, or the API key itself)."""
    return grant.requested_by_kind == actor.kind.value and grant.requested_by_id is not None and grant.requested_by_id == actor.id


def check_not_maker(actor: Actor, grant: GrantView) -> None:
    if is_maker(actor, grant):
        raise DomainError.single(SELF_APPROVAL, "a reward you asked for is approved by someone else", field="issuance_id")


async def grants_by_ids(grant_ids: list[uuid.UUID]) -> dict[uuid.UUID, GrantView]:
    if not grant_ids:
        return {}
    wanted = sql.Conditions().in_list("id", grant_ids)
    rows = await sql.fetch(wanted.statement("SELECT * FROM campaign_grants"), *wanted.args)
    return {view.id: view for view in map(grant_view, rows)}


async def pending_queue(actor: Actor, campaign_id: uuid.UUID, offset: int = 0, limit: int = 50) -> Page:
    """The campaign's rewards waiting for approval, oldest first."""
    actor.require(Permission.REWARDS_READ)
    await load_campaign(campaign_id)
    limit, offset = max(1, min(limit, 500)), max(0, offset)
    rows = await sql.fetch(
        "SELECT * FROM campaign_grants WHERE campaign = $1 AND state = 'pending' ORDER BY id LIMIT $2 OFFSET $3",
        campaign_id,
        limit,
        offset,
    )
    total = await sql.fetchrow(
        "SELECT COUNT(*) AS n FROM campaign_grants WHERE campaign = $1 AND state = $2", campaign_id, GRANT_PENDING
    )
    return Page(rows=[grant_view(row) for row in rows], total=int(total["n"]))
