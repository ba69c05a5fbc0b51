"""Reading issuances: one, a campaign's (newest first, optionally by status), or a filtered keyset page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.catalog.services.offer_rows import load_offers
from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError, NotFound
from backend.core.text import check_text
from backend.rewards.views import ISSUANCE_STATUSES, IssuanceView, Page, issuance_view


async def get_issuance(actor: Actor, issuance_id: uuid.UUID) -> IssuanceView:
    actor.require(Permission.REWARDS_READ)
    row = await sql.fetchrow("SELECT * FROM reward_issuances WHERE id = $1", issuance_id)
    if row is None:
        raise NotFound("issuance", issuance_id, field="issuance_id")
    return issuance_view(row)


async def list_issuances(
    actor: Actor, campaign_id: uuid.UUID, status: str | None = None, offset: int = 0, limit: int = 50
) -> Page:
    actor.require(Permission.REWARDS_READ)
    if status is not None and status not in ISSUANCE_STATUSES:
        raise DomainError.single("INVALID_STATUS", f"an issuance is {', '.join(ISSUANCE_STATUSES)}", field="status")
    conditions = sql.Conditions()
    conditions.add("campaign = ?", campaign_id)
    conditions.when("status = ?", status)
    total = await sql.fetchrow(conditions.statement("SELECT COUNT(*) AS n FROM reward_issuances"), *conditions.args)
    listing = conditions.statement("SELECT * FROM reward_issuances", "id DESC", max(1, min(limit, 500)), max(0, offset))
    rows = await sql.fetch(listing, *conditions.args)
    return Page(rows=[issuance_view(row) for row in rows], total=int(total["n"]))


async def issuances_by_ids(actor: Actor, ids: list[uuid.UUID]) -> dict[uuid.UUID, IssuanceView]:
    """Many issuances in one query (the API's DataLoader)."""
    actor.require(Permission.REWARDS_READ)
    if not ids:
        return {}
    wanted = sql.Conditions().in_list("id", ids)
    rows = await sql.fetch(wanted.statement("SELECT * FROM reward_issuances"), *wanted.args)
    return {view.id: view for view in map(issuance_view, rows)}


async def recipient_issuances(actor: Actor, recipient_id: uuid.UUID, offset: int = 0, limit: int = 50) -> Page:
    """The rewards of one recipient across campaigns, newest first (through reward_issuances_by_recipient)."""
    actor.require(Permission.REWARDS_READ)
    limit, offset = max(1, min(limit, 500)), max(0, offset)
    rows = await sql.fetch(
        "SELECT * FROM reward_issuances WHERE recipient_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3", recipient_id, limit, offset
    )
    total = await sql.fetchrow("SELECT COUNT(*) AS n FROM reward_issuances WHERE recipient_id = $1", recipient_id)
    return Page(rows=[issuance_view(row) for row in rows], total=int(total["n"]))


@dataclass(frozen=True)
class IssuanceFilter:
    """Every field optional; ``issued_after`` is included, ``issued_before`` not (the issue time:
    a reward waiting for approval has none, so an issue-time filter leaves it out)."""

    campaign_id: uuid.UUID | None = None
    recipient_id: uuid.UUID | None = None
    status: str | None = None
    issued_after: datetime | None = None
    issued_before: datetime | None = None


def check_issuance_filter(issuance_filter: IssuanceFilter) -> None:
    """INVALID_STATUS / INVALID_RANGE naming the field."""
    check_text("status", issuance_filter.status, 20)
    if issuance_filter.status is not None and issuance_filter.status not in ISSUANCE_STATUSES:
        raise DomainError.single("INVALID_STATUS", f"an issuance is {', '.join(ISSUANCE_STATUSES)}", field="status")
    after, before = issuance_filter.issued_after, issuance_filter.issued_before
    if after is not None and before is not None and after >= before:
        raise DomainError.single("INVALID_RANGE", "issued before must be later than issued after", field="issued_before")


def _where(issuance_filter: IssuanceFilter) -> sql.Conditions:
    check_issuance_filter(issuance_filter)
    conditions = sql.Conditions()
    conditions.when("campaign = ?", issuance_filter.campaign_id)
    conditions.when("recipient_id = ?", issuance_filter.recipient_id)
    conditions.when("status = ?", issuance_filter.status)
    conditions.when("issued_at >= ?", issuance_filter.issued_after)
    conditions.when("issued_at < ?", issuance_filter.issued_before)
    return conditions


async def issuances_after(
    actor: Actor, issuance_filter: IssuanceFilter, after_id: uuid.UUID | None = None, limit: int = 50
) -> list[IssuanceView]:
    """A keyset page of issuances, newest first: up to ``limit`` matching the filter with an id below ``after_id``."""
    actor.require(Permission.REWARDS_READ)
    conditions = _where(issuance_filter)
    conditions.when("id < ?", after_id)
    query = conditions.statement("SELECT * FROM reward_issuances", order_by="id DESC", limit=max(1, min(limit, 500)))
    rows = await sql.fetch(query, *conditions.args)
    return [issuance_view(row) for row in rows]


async def count_issuances(actor: Actor, issuance_filter: IssuanceFilter) -> int:
    """How many issuances match the filter."""
    actor.require(Permission.REWARDS_READ)
    conditions = _where(issuance_filter)
    row = await sql.fetchrow(conditions.statement("SELECT COUNT(*) AS n FROM reward_issuances"), *conditions.args)
    return int(row["n"])


async def offer_titles(actor: Actor, offer_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The titles of the offers rewards were issued from. Naming the offer is part of reading a reward
    (rewards:read), so a support agent without catalog:read reads a name, not an id."""
    actor.require(Permission.REWARDS_READ)
    return {offer_id: offer.title for offer_id, offer in (await load_offers(list(offer_ids))).items()}
