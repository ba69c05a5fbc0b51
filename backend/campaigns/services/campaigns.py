"""Campaigns: create, edit, activate, pause, end, and read them with their live counters.

A campaign starts ``draft``; ``activate`` makes it ``active`` (issuable between its dates),
``pause`` stops issuing for a while, ``end`` for good. Its rules are edited in any status but
``ended``; a maximum count or budget can never be lowered below what is already issued or held for
approval. The live counters are the campaign's counter shards (``counters``): an edit locks them
all and splits what the new limits leave, so a concurrent issuance cannot slip under it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from backend.campaigns.services import counters
from backend.campaigns.tables import Campaign
from backend.campaigns.views import (
    ACTIVE,
    APPROVAL_MODES,
    AUTO,
    CAMPAIGN_STATUSES,
    DRAFT,
    ENDED,
    OFFERS,
    PAUSED,
    POINTS,
    REWARD_TYPES,
    CampaignView,
    Page,
    campaign_view,
)
from backend.catalog.services import offers as catalog_offers
from backend.core import audit, money, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import icontains, write_transaction
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.ids import new_id
from backend.core.money import format_value
from backend.core.text import check_text, text_error
from backend.recipients import services as recipients
from backend.recipients.services.validation import CHANNELS

MAX_NAME = 200
MAX_DESCRIPTION = 4000
MAX_ALLOWED_OFFERS = 200
MAX_AMOUNT = 10**12  # minor units or points: far inside a 64-bit sum
MAX_WINDOW_DAYS = 3660


@dataclass
class CampaignInput:
    programme_id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    reward_type: str = OFFERS  # offers | points
    allowed_offer_ids: list[uuid.UUID] = field(default_factory=list)
    points_value: int | None = None  # points campaigns: every reward is this many points (None: any)
    currency: str | None = None  # offers campaigns: ISO 4217; budget and values in its minor units
    approval_mode: str = AUTO
    max_rewards: int | None = None
    budget: int | None = None
    recipient_max_count: int | None = None
    recipient_max_value: int | None = None
    recipient_window_days: int | None = None  # e.g. 30 for "3 in 30 days"; None: for the whole campaign
    default_channel: str = "email"
    description: str = ""
    strict_upload_columns: bool = False  # bulk files: refuse columns other than the upload's instead of ignoring them


@dataclass(frozen=True)
class CampaignFilter:
    search: str | None = None  # substring of the name
    status: str | None = None
    programme_id: uuid.UUID | None = None


def _limit(value, name: str, errors: list[FieldError], maximum: int = MAX_AMOUNT) -> int | None:
    """An optional positive whole number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        errors.append(
            FieldError(name, "INVALID_NUMBER", f"{name.replace('_', ' ')} is a whole number from 1 to {maximum:,}, or empty")
        )
        return None
    return value


async def validate_campaign(actor: Actor, data: CampaignInput) -> dict:
    """The campaign's column values, or a DomainError listing every bad field."""
    errors: list[FieldError] = [
        error for error in (text_error("name", data.name), text_error("description", data.description, multiline=True)) if error
    ]
    if errors:  # values no other rule can read
        raise DomainError(errors)
    name = (data.name or "").strip()
    if not name:
        errors.append(FieldError("name", "REQUIRED", "a campaign needs a name"))
    elif len(name) > MAX_NAME:
        errors.append(FieldError("name", "TOO_LONG", f"a name is at most {MAX_NAME} characters"))
    description = (data.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors.append(FieldError("description", "TOO_LONG", f"a description is at most {MAX_DESCRIPTION:,} characters"))
    for name_of, moment in (("starts_at", data.starts_at), ("ends_at", data.ends_at)):
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            errors.append(FieldError(name_of, "INVALID_DATE", "a date and time with its time zone is required"))
    dates_ok = not any(error.field in ("starts_at", "ends_at") for error in errors)
    if dates_ok and data.ends_at <= data.starts_at:
        errors.append(FieldError("ends_at", "INVALID_DATES", "a campaign ends after it starts"))
    if data.approval_mode not in APPROVAL_MODES:
        errors.append(FieldError("approval_mode", "INVALID_CHOICE", f"approval mode is one of {', '.join(APPROVAL_MODES)}"))
    if data.default_channel not in CHANNELS:
        errors.append(FieldError("default_channel", "INVALID_CHOICE", f"the delivery channel is one of {', '.join(CHANNELS)}"))
    max_rewards = _limit(data.max_rewards, "max_rewards", errors)
    budget = _limit(data.budget, "budget", errors)
    recipient_max_count = _limit(data.recipient_max_count, "recipient_max_count", errors)
    recipient_max_value = _limit(data.recipient_max_value, "recipient_max_value", errors)
    window = _limit(data.recipient_window_days, "recipient_window_days", errors, MAX_WINDOW_DAYS)
    if window is not None and recipient_max_count is None and recipient_max_value is None:
        errors.append(
            FieldError("recipient_window_days", "WINDOW_WITHOUT_CAP", "a rolling window needs a per-recipient count or value cap")
        )
    currency, offer_ids, points_value = None, [], None
    if data.reward_type not in REWARD_TYPES:
        errors.append(FieldError("reward_type", "INVALID_CHOICE", f"a campaign rewards {' or '.join(REWARD_TYPES)}"))
    elif data.reward_type == POINTS:
        points_value = _limit(data.points_value, "points_value", errors)
        if data.allowed_offer_ids:
            errors.append(FieldError("allowed_offer_ids", "NOT_APPLICABLE", "a points campaign issues points, not offers"))
        if data.currency:
            errors.append(FieldError("currency", "NOT_APPLICABLE", "a points campaign counts its budget in points"))
    else:
        if data.points_value is not None:
            errors.append(FieldError("points_value", "NOT_APPLICABLE", "an offers campaign issues offers, not points"))
        try:
            currency = money.currency(data.currency)
        except DomainError as error:
            errors.extend(error.errors)
        offer_ids = list(dict.fromkeys(data.allowed_offer_ids or []))
        if not offer_ids:
            errors.append(FieldError("allowed_offer_ids", "REQUIRED", "an offers campaign allows at least one offer"))
        elif len(offer_ids) > MAX_ALLOWED_OFFERS:
            errors.append(FieldError("allowed_offer_ids", "TOO_MANY", f"at most {MAX_ALLOWED_OFFERS} offers"))
        else:
            found = await catalog_offers.offers_by_ids(actor, offer_ids)
            for offer_id in offer_ids:
                offer = found.get(offer_id)
                if offer is None:
                    errors.append(FieldError("allowed_offer_ids", "OFFER_NOT_FOUND", f"offer {offer_id} does not exist"))
                elif currency and offer.currency != currency:
                    errors.append(
                        FieldError(
                            "allowed_offer_ids",
                            "CURRENCY_MISMATCH",
                            f"'{offer.title}' is in {offer.currency}, the campaign in {currency}",
                        )
                    )
    try:
        await recipients.get_programme(actor, data.programme_id)
    except NotFound:
        errors.append(FieldError("programme_id", "PROGRAMME_NOT_FOUND", f"programme {data.programme_id} does not exist"))
    if errors:
        raise DomainError(errors)
    return {
        "programme": data.programme_id,
        "name": name,
        "description": description,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "approval_mode": data.approval_mode,
        "reward_type": data.reward_type,
        "allowed_offers": [str(value) for value in offer_ids],
        "points_value": points_value,
        "currency": currency,
        "max_rewards": max_rewards,
        "budget": budget,
        "recipient_max_count": recipient_max_count,
        "recipient_max_value": recipient_max_value,
        "recipient_window_days": window,
        "default_channel": data.default_channel,
        "strict_upload_columns": bool(data.strict_upload_columns),
    }


def audit_view(campaign: CampaignView) -> dict:
    return {
        "name": campaign.name,
        "programme_id": campaign.programme_id,
        "status": campaign.status,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "approval_mode": campaign.approval_mode,
        "reward_type": campaign.reward_type,
        "allowed_offer_ids": list(campaign.allowed_offer_ids),
        "points_value": campaign.points_value,
        "currency": campaign.currency,
        "max_rewards": campaign.max_rewards,
        "budget": campaign.budget,
        "recipient_max_count": campaign.recipient_max_count,
        "recipient_max_value": campaign.recipient_max_value,
        "recipient_window_days": campaign.recipient_window_days,
        "default_channel": campaign.default_channel,
        "strict_upload_columns": campaign.strict_upload_columns,
    }


# A campaign with its counters summed over its shards, in one read.
_SELECT = """SELECT c.*, t.issued_count, t.issued_value, t.pending_count, t.pending_value FROM campaigns c, (SELECT
    COALESCE(CAST(SUM(issued_count) AS BIGINT), 0) AS issued_count, COALESCE(CAST(SUM(issued_value) AS BIGINT), 0) AS issued_value,
    COALESCE(CAST(SUM(pending_count) AS BIGINT), 0) AS pending_count, COALESCE(CAST(SUM(pending_value) AS BIGINT), 0) AS pending_value
    FROM campaign_counter_shards WHERE campaign = $1) t WHERE c.id = $1"""


async def load_campaign(campaign_id: uuid.UUID) -> CampaignView:
    row = await sql.fetchrow(_SELECT, campaign_id)
    if row is None:
        raise NotFound("campaign", campaign_id, field="campaign_id")
    return campaign_view(row)


async def _with_counters(rows) -> list[CampaignView]:
    """Campaign rows (Piccolo's) as views, with their counters summed over their shards (one read for all)."""
    summed = await counters.totals([row["id"] for row in rows]) if rows else {}
    return [campaign_view({**row, **summed.get(row["id"], counters.NO_COUNTS)}) for row in rows]


async def find_campaign(campaign_id: uuid.UUID) -> CampaignView | None:
    """The campaign as it is now, or None; for use cases that turn a missing campaign into their own answer."""
    row = await sql.fetchrow(_SELECT, campaign_id)
    if row is None:
        _LAST_READ.pop(campaign_id, None)
        return None
    campaign = campaign_view(row)
    if len(_LAST_READ) >= 10_000:
        _LAST_READ.clear()
    _LAST_READ[campaign_id] = campaign
    return campaign


# Each campaign as this process last read it: a hint for issuing, which saves a read per reward.
# Never trusted alone: a reward is counted only if the campaign's ``updated_at`` (moved by every
# change of its rules and status) is still the one read — the condition of governance's counter
# UPDATE — and a refusal decided on a hint is checked against a fresh read (rewards' issuance).
_LAST_READ: dict[uuid.UUID, CampaignView] = {}


def last_read_campaign(campaign_id: uuid.UUID) -> CampaignView | None:
    """The campaign as :func:`find_campaign` last read it in this process (its counters are stale), or None."""
    return _LAST_READ.get(campaign_id)


async def create_campaign(actor: Actor, data: CampaignInput) -> CampaignView:
    """A draft campaign; ``activate_campaign`` starts it."""
    actor.require(Permission.CAMPAIGNS_WRITE)
    values = await validate_campaign(actor, data)
    campaign_id, now = new_id(), utcnow()
    async with write_transaction():
        await Campaign.insert(
            Campaign(id=campaign_id, status=DRAFT, created_by_label=actor.label, created_at=now, updated_at=now, **values)
        )
        await counters.open_shards(campaign_id, values["max_rewards"], values["budget"])
        campaign = await load_campaign(campaign_id)
        await audit.record(actor, "campaign.created", "campaign", campaign_id, after=audit_view(campaign))
    return campaign


async def update_campaign(actor: Actor, campaign_id: uuid.UUID, data: CampaignInput) -> CampaignView:
    """Replace the campaign's rules. Refused for an ended campaign (CAMPAIGN_ENDED), for a
    maximum below the rewards already counted (BELOW_ISSUED) or a budget below what is spent or
    held (BELOW_SPENT). A campaign that has counted rewards keeps its programme and reward type."""
    actor.require(Permission.CAMPAIGNS_WRITE)
    values = await validate_campaign(actor, data)
    async with write_transaction():
        before = await load_campaign(campaign_id)
        if before.status == ENDED:
            raise DomainError.single("CAMPAIGN_ENDED", f"'{before.name}' has ended; its rules can no longer change")
        counted = before.issued_count + before.pending_count
        if counted and (values["programme"] != before.programme_id or values["reward_type"] != before.reward_type):
            raise DomainError.single(
                "CAMPAIGN_IN_USE", f"'{before.name}' has counted rewards: its programme and reward type stay", field="reward_type"
            )
        # The column names are ours (validate_campaign's keys), never the caller's. The campaign
        # row first, then its counter shards: the lock order of ``counters``.
        changes = {**values, "allowed_offers": json.dumps(values["allowed_offers"]), "updated_at": utcnow()}
        args, assignments = [campaign_id], []
        for column, value in changes.items():
            args.append(value)
            assignments.append(f"{column} = ${len(args)}")
        rows = await sql.fetch(
            f"UPDATE campaigns SET {', '.join(assignments)} WHERE id = $1 AND status <> 'ended' RETURNING id", *args
        )
        if not rows:
            raise DomainError.single("CAMPAIGN_ENDED", f"'{before.name}' has ended; its rules can no longer change")
        try:
            await counters.respread(campaign_id, values["max_rewards"], values["budget"])
        except counters.Short:
            now = await load_campaign(campaign_id)  # this transaction's locks hold every shard: exact
            errors = []
            if values["max_rewards"] is not None and now.issued_count + now.pending_count > values["max_rewards"]:
                errors.append(
                    FieldError(
                        "max_rewards",
                        "BELOW_ISSUED",
                        f"{now.issued_count + now.pending_count:,} rewards are already issued or waiting for approval",
                    )
                )
            if values["budget"] is not None and now.issued_value + now.pending_value > values["budget"]:
                errors.append(
                    FieldError(
                        "budget",
                        "BELOW_SPENT",
                        f"{format_value(now.issued_value + now.pending_value, now.currency)} is already spent or held",
                    )
                )
            raise DomainError(errors) from None
        after = await load_campaign(campaign_id)
        if audit_view(after) != audit_view(before):
            await audit.record(
                actor, "campaign.updated", "campaign", campaign_id, before=audit_view(before), after=audit_view(after)
            )
    return after


# Which status each step leads to, and from where.
TRANSITIONS = {ACTIVE: (DRAFT, PAUSED), PAUSED: (ACTIVE,), ENDED: (DRAFT, ACTIVE, PAUSED)}


async def _change_status(actor: Actor, campaign_id: uuid.UUID, status: str, reason: str = "") -> CampaignView:
    actor.require(Permission.CAMPAIGNS_WRITE)
    async with write_transaction():
        before = await load_campaign(campaign_id)
        allowed_from = TRANSITIONS[status]
        if before.status not in allowed_from:
            raise DomainError.single(
                "INVALID_STATUS_CHANGE",
                f"'{before.name}' is {before.status}; it becomes {status} only from {' or '.join(allowed_from)}",
                field="status",
            )
        now = utcnow()
        if status == ACTIVE and before.ends_at <= now:
            raise DomainError.single(
                "CAMPAIGN_OVER",
                f"'{before.name}' ended on {before.ends_at:%Y-%m-%d %H:%M} UTC: change its end first",
                field="ends_at",
            )
        rows = await sql.fetch(
            "UPDATE campaigns SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2 RETURNING id",
            campaign_id,
            before.status,
            status,
            now,
        )
        if not rows:
            raise DomainError.single("CHANGED_MEANWHILE", f"'{before.name}' changed meanwhile; reload and retry", field="status")
        await audit.record(
            actor,
            f"campaign.{'activated' if status == ACTIVE else status}",
            "campaign",
            campaign_id,
            before={"status": before.status},
            after={"status": status, "reason": reason},
        )
        return await load_campaign(campaign_id)


async def activate_campaign(actor: Actor, campaign_id: uuid.UUID) -> CampaignView:
    """draft or paused → active: rewards may be issued between its dates."""
    return await _change_status(actor, campaign_id, ACTIVE)


async def pause_campaign(actor: Actor, campaign_id: uuid.UUID, reason: str = "") -> CampaignView:
    """active → paused: no issuance and no approval until it is activated again."""
    return await _change_status(actor, campaign_id, PAUSED, reason)


async def end_campaign(actor: Actor, campaign_id: uuid.UUID, reason: str = "") -> CampaignView:
    """→ ended, for good. Rewards waiting for approval can then only be rejected."""
    return await _change_status(actor, campaign_id, ENDED, reason)


async def get_campaign(actor: Actor, campaign_id: uuid.UUID) -> CampaignView:
    actor.require(Permission.REWARDS_READ)
    return await load_campaign(campaign_id)


async def campaigns_by_ids(actor: Actor, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, CampaignView]:
    """The campaigns of these ids, in one query; an id with no campaign is absent from the answer."""
    actor.require(Permission.REWARDS_READ)
    wanted = list(dict.fromkeys(ids))
    rows = await Campaign.select().where(Campaign.id.is_in(wanted)) if wanted else []
    return {view.id: view for view in await _with_counters(rows)}


def _where(campaign_filter: CampaignFilter):
    check_text("search", campaign_filter.search, 200)
    check_text("status", campaign_filter.status, 16)
    query = Campaign.select()
    counting = Campaign.count()
    terms = []
    if campaign_filter.search:
        terms.append(icontains(Campaign.name, campaign_filter.search))
    if campaign_filter.status:
        if campaign_filter.status not in CAMPAIGN_STATUSES:
            raise DomainError.single("INVALID_STATUS", f"a campaign is {', '.join(CAMPAIGN_STATUSES)}", field="status")
        terms.append(Campaign.status == campaign_filter.status)
    if campaign_filter.programme_id:
        terms.append(Campaign.programme == campaign_filter.programme_id)
    for term in terms:
        query, counting = query.where(term), counting.where(term)
    return query, counting


async def list_campaigns(
    actor: Actor, campaign_filter: CampaignFilter = CampaignFilter(), offset: int = 0, limit: int = 50
) -> Page:
    """Newest first, with their live counters."""
    actor.require(Permission.REWARDS_READ)
    query, counting = _where(campaign_filter)
    rows = await query.order_by(Campaign.id, ascending=False).offset(max(0, offset)).limit(max(1, min(limit, 500)))
    return Page(rows=await _with_counters(rows), total=await counting)


async def campaigns_after(
    actor: Actor, campaign_filter: CampaignFilter, after_id: uuid.UUID | None = None, limit: int = 50
) -> list[CampaignView]:
    """A keyset page of campaigns, newest first, with their live counters: up to ``limit`` matching
    the filter with an id below ``after_id``."""
    actor.require(Permission.REWARDS_READ)
    query, _ = _where(campaign_filter)
    if after_id is not None:
        query = query.where(Campaign.id < after_id)
    rows = await query.order_by(Campaign.id, ascending=False).limit(max(1, min(limit, 500)))
    return await _with_counters(rows)


async def count_campaigns(actor: Actor, campaign_filter: CampaignFilter) -> int:
    """How many campaigns match the filter."""
    actor.require(Permission.REWARDS_READ)
    _, counting = _where(campaign_filter)
    return await counting
