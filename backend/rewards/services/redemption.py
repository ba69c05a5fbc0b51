"""A reward as its recipient sees it, for the claim page: the summary of its message, the offer's
description and the terms it was issued under (how to redeem it), whether it was withdrawn; and
its reveal (the voucher code and pin in clear, or the points credited). The deliveries domain reads
these here: it may call rewards, not the catalogue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from backend.catalog.services import allocation, terms
from backend.catalog.services.offer_rows import load_offer
from backend.core.authz import Actor, Permission
from backend.rewards.services.summaries import RewardSummary, reward_summary
from backend.rewards.views import ISSUED


@dataclass(frozen=True)
class RewardForRecipient:
    summary: RewardSummary
    offer_description: str  # "" for points
    how_to_redeem: str  # the body of the terms version it was issued under; "" when none
    withdrawn: bool  # not issued (cancelled, rejected), or its code was taken back: nothing to redeem


@dataclass(frozen=True)
class RevealedReward:
    code: str | None  # None: a points reward
    pin: str | None
    points: int | None  # the points credited; None: an offer reward
    code_expires_on: date | None  # the code's own last day, when the partner gave one


async def reward_for_recipient(actor: Actor, issuance_id: uuid.UUID) -> RewardForRecipient:
    actor.require(Permission.REWARDS_READ)
    summary = await reward_summary(actor, issuance_id)
    issuance = summary.issuance
    withdrawn = issuance.status != ISSUED
    description = how_to_redeem = ""
    if issuance.offer_id is not None:
        description = (await load_offer(issuance.offer_id)).description
        if issuance.terms_version_id is not None:
            how_to_redeem = (await terms.terms_version(actor, issuance.terms_version_id)).body
        withdrawn = withdrawn or await allocation.allocation_for(actor, issuance_id) is None
    return RewardForRecipient(summary=summary, offer_description=description, how_to_redeem=how_to_redeem, withdrawn=withdrawn)


async def reveal_reward(actor: Actor, reward: RewardForRecipient) -> RevealedReward:
    """The code and pin in clear (each reveal audited by the catalogue, without the code), or the
    points: a points reward was credited when issued, so its reveal is its value."""
    actor.require(Permission.REWARDS_WRITE)
    issuance = reward.summary.issuance
    if issuance.offer_id is None:
        return RevealedReward(code=None, pin=None, points=issuance.value, code_expires_on=None)
    revealed = await allocation.reveal_code(actor, issuance.id)
    return RevealedReward(code=revealed.code, pin=revealed.pin, points=None, code_expires_on=revealed.expires_on)
