"""What a reward's message says about it: the issuance with its campaign's programme, the offer's
title, partner and expiry (the deliveries domain reads these here, never the tables of rewards,
campaigns or the catalogue); and the issued rewards in id order, for a backfill to page through."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from backend.campaigns.services.campaigns import load_campaign
from backend.catalog.services.offer_rows import load_offer
from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.errors import NotFound
from backend.rewards.views import ISSUED, IssuanceView, issuance_view

_UPLOAD_PREFIX = "upload:"


def upload_source_event(upload_id: uuid.UUID, line: int) -> str:
    """The ``source_event`` of a reward issued from line ``line`` of a bulk upload."""
    return f"{_UPLOAD_PREFIX}{upload_id}:line {line}"


def upload_of(source_event: str) -> uuid.UUID | None:
    """The bulk upload a reward was issued from (its ``source_event``), or None."""
    if not source_event.startswith(_UPLOAD_PREFIX):
        return None
    try:
        return uuid.UUID(source_event[len(_UPLOAD_PREFIX) :].split(":", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class RewardSummary:
    issuance: IssuanceView
    programme_id: uuid.UUID
    campaign_name: str
    offer_title: str | None  # None: a points reward
    partner_name: str | None
    expires_on: date | None  # the last day it can be redeemed, when the offer says


async def reward_summary(actor: Actor, issuance_id: uuid.UUID) -> RewardSummary:
    actor.require(Permission.REWARDS_READ)
    row = await sql.fetchrow("SELECT * FROM reward_issuances WHERE id = $1", issuance_id)
    if row is None:
        raise NotFound("issuance", issuance_id, field="issuance_id")
    return await _summary(issuance_view(row), {})


async def reward_summaries(actor: Actor, issuance_ids: list[uuid.UUID]) -> dict[uuid.UUID, RewardSummary]:
    """Many rewards' summaries in one query of issuances (a batch of messages); each campaign and
    offer read once. A missing id is simply absent."""
    actor.require(Permission.REWARDS_READ)
    if not issuance_ids:
        return {}
    wanted = sql.Conditions().in_list("id", issuance_ids)
    rows = await sql.fetch(wanted.statement("SELECT * FROM reward_issuances"), *wanted.args)
    read: dict = {}
    return {row["id"]: await _summary(issuance_view(row), read) for row in rows}


async def _summary(issuance: IssuanceView, read: dict) -> RewardSummary:
    """``read``: campaigns and offers already loaded, by id (shared by a batch)."""
    if (campaign := read.get(issuance.campaign_id)) is None:
        campaign = read[issuance.campaign_id] = await load_campaign(issuance.campaign_id)
    offer_title = partner_name = expires_on = None
    if issuance.offer_id is not None:
        if (offer := read.get(issuance.offer_id)) is None:
            offer = read[issuance.offer_id] = await load_offer(issuance.offer_id)
        offer_title, partner_name = offer.title, offer.partner_name
        expires_on = offer.expiry.expires_on(issuance.issued_at or issuance.created_at)
    return RewardSummary(
        issuance=issuance,
        programme_id=campaign.programme_id,
        campaign_name=campaign.name,
        offer_title=offer_title,
        partner_name=partner_name,
        expires_on=expires_on,
    )


async def issued_after(actor: Actor, after_id: uuid.UUID | None, limit: int = 500) -> list[uuid.UUID]:
    """The ids of issued rewards after ``after_id`` (all when None), in id order: a page of a walk
    over every issued reward."""
    actor.require(Permission.REWARDS_READ)
    limit = max(1, min(limit, 5000))
    if after_id is None:
        rows = await sql.fetch("SELECT id FROM reward_issuances WHERE status = $1 ORDER BY id LIMIT $2", ISSUED, limit)
    else:
        rows = await sql.fetch(
            "SELECT id FROM reward_issuances WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3", ISSUED, after_id, limit
        )
    return [row["id"] for row in rows]
