"""Campaigns and issuances, read by integrators (scope rewards:read)."""

from __future__ import annotations

import uuid

import strawberry

from backend.api.errors import client_error, query_refusals
from backend.api.permissions import requires
from backend.api.rewards.types import Campaign, RewardIssuance
from backend.api.rewards.upload_types import RewardUpload
from backend.campaigns.services import campaigns
from backend.core.authz import Permission
from backend.core.errors import NotFound
from backend.rewards.services import issuances
from backend.rewards.uploads.services import review


def _parse_id(value: strawberry.ID, entity: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise client_error(f"'{value}' is not a {entity} id") from None


@strawberry.type
class RewardQueries:
    @strawberry.field(
        extensions=requires(Permission.REWARDS_READ),
        description="One campaign with its live counters (issued, pending, remaining count and budget); null if none.",
    )
    async def campaign(self, info: strawberry.Info, id: strawberry.ID) -> Campaign | None:
        with query_refusals():
            try:
                return Campaign.from_view(await campaigns.get_campaign(info.context.actor, _parse_id(id, "campaign")))
            except NotFound:
                return None

    @strawberry.field(extensions=requires(Permission.REWARDS_READ), description="One issuance; null if none.")
    async def reward_issuance(self, info: strawberry.Info, id: strawberry.ID) -> RewardIssuance | None:
        with query_refusals():
            try:
                return RewardIssuance.from_view(await issuances.get_issuance(info.context.actor, _parse_id(id, "issuance")))
            except NotFound:
                return None

    @strawberry.field(
        extensions=requires(Permission.REWARDS_READ),
        description="One bulk upload: counts, bad rows, issuance progress after approval; null if none.",
    )
    async def reward_upload(self, info: strawberry.Info, id: strawberry.ID) -> RewardUpload | None:
        with query_refusals():
            try:
                return RewardUpload.from_view(await review.get_upload(info.context.actor, _parse_id(id, "upload")))
            except NotFound:
                return None
