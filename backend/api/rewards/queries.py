"""Campaigns and issuances, read by integrators (scope rewards:read)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from backend.api.errors import parse_query_id, query_refusals
from backend.api.pagination import DEFAULT_PAGE_SIZE, After, Connection, First, keyset_connection
from backend.api.permissions import requires
from backend.api.rewards.types import Campaign, CampaignFilterInput, RewardFilterInput, RewardIssuance
from backend.api.rewards.upload_types import RewardUpload
from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignFilter
from backend.core.authz import Permission
from backend.core.errors import NotFound
from backend.deliveries.services import reconciliation
from backend.deliveries.services.reconciliation import RewardFilter
from backend.rewards.services import issuances
from backend.rewards.uploads.services import review


@strawberry.type
class RewardQueries:
    @strawberry.field(
        extensions=requires(Permission.REWARDS_READ),
        description="Rewards (issuances), newest first, optionally filtered: what an integrator reconciles against, "
        "with how each delivery stands (`deliveryStatus`, and each reward's `delivery`).",
    )
    async def rewards(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[RewardFilterInput | None, strawberry.argument(name="filter")] = None,
    ) -> Connection[RewardIssuance]:
        actor = info.context.actor
        reward_filter = filter_.to_domain() if filter_ else RewardFilter()
        with query_refusals():
            reconciliation.check_reward_filter(reward_filter)
            if reward_filter.delivery_status is not None:
                actor.require(Permission.DELIVERIES_READ)
        return await keyset_connection(
            list_name="rewards",
            first=first,
            after=after,
            fetch=lambda after_id, limit: reconciliation.rewards_after(actor, reward_filter, after_id, limit),
            key=lambda view: view.id,
            node=RewardIssuance.from_view,
            count=lambda: reconciliation.count_rewards(actor, reward_filter),
        )

    @strawberry.field(
        extensions=requires(Permission.REWARDS_READ),
        description="Campaigns, newest first, with their live counters, optionally filtered.",
    )
    async def campaigns(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter_: Annotated[CampaignFilterInput | None, strawberry.argument(name="filter")] = None,
    ) -> Connection[Campaign]:
        actor = info.context.actor
        campaign_filter = filter_.to_domain() if filter_ else CampaignFilter()
        with query_refusals():  # a bad status is refused when the page is read
            return await keyset_connection(
                list_name="campaigns",
                first=first,
                after=after,
                fetch=lambda after_id, limit: campaigns.campaigns_after(actor, campaign_filter, after_id, limit),
                key=lambda view: view.id,
                node=Campaign.from_view,
                count=lambda: campaigns.count_campaigns(actor, campaign_filter),
            )

    @strawberry.field(
        extensions=requires(Permission.REWARDS_READ),
        description="One campaign with its live counters (issued, pending, remaining count and budget); null if none.",
    )
    async def campaign(self, info: strawberry.Info, id: strawberry.ID) -> Campaign | None:
        with query_refusals():
            try:
                return Campaign.from_view(await campaigns.get_campaign(info.context.actor, parse_query_id(id, "campaign")))
            except NotFound:
                return None

    @strawberry.field(extensions=requires(Permission.REWARDS_READ), description="One issuance; null if none.")
    async def reward_issuance(self, info: strawberry.Info, id: strawberry.ID) -> RewardIssuance | None:
        with query_refusals():
            try:
                return RewardIssuance.from_view(await issuances.get_issuance(info.context.actor, parse_query_id(id, "issuance")))
            except NotFound:
                return None

    @strawberry.field(
        extensions=requires(Permission.REWARDS_READ),
        description="One bulk upload: counts, bad rows, issuance progress after approval; null if none.",
    )
    async def reward_upload(self, info: strawberry.Info, id: strawberry.ID) -> RewardUpload | None:
        with query_refusals():
            try:
                return RewardUpload.from_view(await review.get_upload(info.context.actor, parse_query_id(id, "upload")))
            except NotFound:
                return None
