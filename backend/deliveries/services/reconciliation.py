"""Rewards as an integrator reconciles them: the rewards' own filters plus how their delivery stands.

Without a delivery status this is the rewards domain's page of issuances. With one, the walk runs
over the deliveries (which carry the reward's campaign, recipient and issue time, indexed) newest
reward first, and each page's rewards are read from the rewards domain; a reward whose own status
does not match (voided after issue) is passed over, and the walk goes on until the page is full.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError
from backend.core.text import check_text
from backend.deliveries.services.listing import WORD
from backend.rewards.services import issuances
from backend.rewards.services.issuances import IssuanceFilter
from backend.rewards.views import IssuanceView

MAX_PAGE = 500


@dataclass(frozen=True)
class RewardFilter:
    campaign_id: uuid.UUID | None = None
    recipient_id: uuid.UUID | None = None
    status: str | None = None  # the reward's: issued, pending_approval, rejected, cancelled
    delivery_status: str | None = None  # its delivery's: pending, sending, sent, delivered, failed
    issued_after: datetime | None = None
    issued_before: datetime | None = None

    @property
    def of_rewards(self) -> IssuanceFilter:
        return IssuanceFilter(self.campaign_id, self.recipient_id, self.status, self.issued_after, self.issued_before)


def check_reward_filter(reward_filter: RewardFilter) -> None:
    """The rewards domain's checks, and a delivery status that can be one (INVALID_VALUE on ``delivery_status``)."""
    issuances.check_issuance_filter(reward_filter.of_rewards)
    check_text("delivery_status", reward_filter.delivery_status, 40)
    if reward_filter.delivery_status is not None and not WORD.match(reward_filter.delivery_status):
        raise DomainError.single("INVALID_VALUE", "delivery status is a word such as failed or sent", field="delivery_status")


def _deliveries_where(reward_filter: RewardFilter) -> sql.Conditions:
    conditions = sql.Conditions()
    conditions.add("status = ?", reward_filter.delivery_status)
    conditions.when("campaign_id = ?", reward_filter.campaign_id)
    conditions.when("recipient_id = ?", reward_filter.recipient_id)
    conditions.when("issued_at >= ?", reward_filter.issued_after)
    conditions.when("issued_at < ?", reward_filter.issued_before)
    return conditions


async def rewards_after(
    actor: Actor, reward_filter: RewardFilter, after_id: uuid.UUID | None = None, limit: int = 50
) -> list[IssuanceView]:
    """A keyset page of rewards (issuances), newest first, matching the filter, with an id below ``after_id``."""
    actor.require(Permission.REWARDS_READ)
    check_reward_filter(reward_filter)
    limit = max(1, min(limit, MAX_PAGE))
    if reward_filter.delivery_status is None:
        return await issuances.issuances_after(actor, reward_filter.of_rewards, after_id, limit)
    actor.require(Permission.DELIVERIES_READ)
    found: list[IssuanceView] = []
    while len(found) < limit:
        conditions = _deliveries_where(reward_filter)
        conditions.when("issuance_id < ?", after_id)
        query = conditions.statement("SELECT issuance_id FROM deliveries", order_by="issuance_id DESC", limit=limit)
        rows = await sql.fetch(query, *conditions.args)
        ids = [row["issuance_id"] for row in rows]
        by_id = await issuances.issuances_by_ids(actor, ids)
        found.extend(
            view for issuance_id in ids if (view := by_id.get(issuance_id)) and reward_filter.status in (None, view.status)
        )
        if len(rows) < limit:
            break
        after_id = ids[-1]
    return found[:limit]


async def count_rewards(actor: Actor, reward_filter: RewardFilter) -> int:
    """How many rewards match the filter (with both a delivery status and a reward status, counted
    by walking the pages: the two statuses live in two domains)."""
    actor.require(Permission.REWARDS_READ)
    check_reward_filter(reward_filter)
    if reward_filter.delivery_status is None:
        return await issuances.count_issuances(actor, reward_filter.of_rewards)
    actor.require(Permission.DELIVERIES_READ)
    if reward_filter.status is None:
        conditions = _deliveries_where(reward_filter)
        row = await sql.fetchrow(conditions.statement("SELECT COUNT(*) AS n FROM deliveries"), *conditions.args)
        return int(row["n"])
    total, after_id = 0, None
    while True:
        page = await rewards_after(actor, reward_filter, after_id, MAX_PAGE)
        total += len(page)
        if len(page) < MAX_PAGE:
            return total
        after_id = page[-1].id
