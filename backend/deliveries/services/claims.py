"""The claim page's use cases: a recipient opens their reward's page by its link, and reveals its
code or points with a click.

A link's token is found by its sha256 only (the token itself is never stored, nor compared). The
first view of a claimable reward and its activation (the reveal) are each recorded once per
delivery, append-only, in ``claim_events``: a unique index on (delivery, kind) decides, so a double
click or two tabs make one activation. Each record writes its outbox event in the same transaction
(``reward.claim_viewed``, ``reward.activated``) for partner performance to count."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from backend.core import audit, outbox, sql
from backend.core.authz import Actor, ActorKind
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.ids import new_id
from backend.deliveries import claim_links
from backend.recipients import services as recipients
from backend.rewards.services import redemption
from backend.rewards.services.redemption import RevealedReward, RewardForRecipient

CLAIMABLE, NOT_SENT, EXPIRED, WITHDRAWN = "claimable", "not_sent", "expired", "withdrawn"
VIEWED, ACTIVATED = "viewed", "activated"
CLAIM_VIEWED, REWARD_ACTIVATED = "reward.claim_viewed", "reward.activated"  # outbox topics

# The recipient, known by the link alone: reads their own reward and reveals its code (the
# catalogue audits each reveal under this name).
CLAIM_LINK = Actor(kind=ActorKind.SYSTEM, id=None, label="recipient (claim link)")

_TOKEN = re.compile(r"[0-9a-f]{64}")  # what claim_links makes; anything else is unknown at once


@dataclass(frozen=True)
class ClaimView:
    delivery_id: uuid.UUID
    issuance_id: uuid.UUID
    recipient_id: uuid.UUID
    programme_id: uuid.UUID
    campaign_id: uuid.UUID
    offer_id: uuid.UUID | None  # None: a points reward
    state: str  # claimable | not_sent | expired | withdrawn
    recipient_name: str
    campaign_name: str
    offer_title: str | None
    partner_name: str | None
    offer_description: str
    how_to_redeem: str
    value: int  # minor units of ``currency``, or points
    currency: str | None  # None: points
    expires_on: date | None  # the last day it can be redeemed
    language: str
    activated_at: datetime | None  # first reveal


@dataclass(frozen=True)
class Activation:
    claim: ClaimView
    revealed: RevealedReward | None  # None: not claimable (the page says why)
    first: bool  # this click was the activation (not a repeat)


async def _delivery_by_token(token: str):
    if not _TOKEN.fullmatch(token):
        return None
    return await sql.fetchrow("SELECT * FROM deliveries WHERE claim_token_hash = $1", claim_links.token_hash(token))


def _state(row, reward: RewardForRecipient, today: date) -> str:
    if reward.withdrawn:
        return WITHDRAWN
    if row["sent_at"] is None:  # a link nobody was sent yet (its message still pending or failed)
        return NOT_SENT
    if reward.summary.expires_on is not None and reward.summary.expires_on < today:
        return EXPIRED
    return CLAIMABLE


async def _claim(row) -> tuple[ClaimView, RewardForRecipient, set[str]]:
    reward = await redemption.reward_for_recipient(CLAIM_LINK, row["issuance_id"])
    recipient = await recipients.get_recipient(CLAIM_LINK, recipient_id=row["recipient_id"])
    recorded = {
        event["kind"]: event["at"]
        for event in await sql.fetch("SELECT kind, at FROM claim_events WHERE delivery = $1", row["id"])
    }
    summary, issuance = reward.summary, reward.summary.issuance
    claim = ClaimView(
        delivery_id=row["id"],
        issuance_id=issuance.id,
        recipient_id=issuance.recipient_id,
        programme_id=summary.programme_id,
        campaign_id=issuance.campaign_id,
        offer_id=issuance.offer_id,
        state=_state(row, reward, utcnow().date()),
        recipient_name=recipient.full_name,
        campaign_name=summary.campaign_name,
        offer_title=summary.offer_title,
        partner_name=summary.partner_name,
        offer_description=reward.offer_description,
        how_to_redeem=reward.how_to_redeem,
        value=issuance.value,
        currency=issuance.currency,
        expires_on=summary.expires_on,
        language=row["language"],
        activated_at=as_utc(recorded[ACTIVATED]) if ACTIVATED in recorded else None,
    )
    return claim, reward, set(recorded)


async def find_claim(token: str) -> ClaimView | None:
    """The reward behind a claim link, recording nothing: for a use case that only needs to know
    whose link it is (the complaint desk's "report a problem": the recipient is known by it)."""
    row = await _delivery_by_token(token)
    return None if row is None else (await _claim(row))[0]


async def open_claim(token: str) -> ClaimView | None:
    """The reward behind a claim link, or None for a token no delivery has. The first view of a
    claimable reward is recorded (``reward.claim_viewed``)."""
    row = await _delivery_by_token(token)
    if row is None:
        return None
    claim, _reward, recorded = await _claim(row)
    if claim.state == CLAIMABLE and VIEWED not in recorded:  # the read spares a write per view; the index decides
        await _record_once(claim, VIEWED, CLAIM_VIEWED)
    return claim


async def activate_claim(token: str) -> Activation | None:
    """Reveal the code or points of a claimable reward; the first reveal is its activation
    (``reward.activated``, audited), a repeat shows the same and records nothing. None for an
    unknown token; a reward that is not claimable is returned unrevealed."""
    row = await _delivery_by_token(token)
    if row is None:
        return None
    claim, reward, _recorded = await _claim(row)
    if claim.state != CLAIMABLE:
        return Activation(claim=claim, revealed=None, first=False)
    revealed = await redemption.reveal_reward(CLAIM_LINK, reward)
    activated_at = await _record_once(claim, ACTIVATED, REWARD_ACTIVATED)
    if activated_at is not None:
        claim = replace(claim, activated_at=activated_at)
    return Activation(claim=claim, revealed=revealed, first=activated_at is not None)


def _payload(claim: ClaimView, at: datetime) -> dict:
    ids = {
        "issuance_id": claim.issuance_id,
        "delivery_id": claim.delivery_id,
        "recipient_id": claim.recipient_id,
        "offer_id": claim.offer_id,
        "campaign_id": claim.campaign_id,
        "programme_id": claim.programme_id,
    }
    return {name: str(value) if value is not None else None for name, value in ids.items()} | {"at": at.isoformat()}


async def _record_once(claim: ClaimView, kind: str, topic: str) -> datetime | None:
    """Record the event and its outbox event unless this delivery has one of this kind already;
    returns its time, or None when it existed."""
    at = utcnow()
    async with write_transaction():
        inserted = await sql.fetch(
            "INSERT INTO claim_events (id, delivery, kind, at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (delivery, kind) DO NOTHING RETURNING id",
            new_id(),
            claim.delivery_id,
            kind,
            at,
        )
        if not inserted:
            return None
        event_id = await outbox.add(topic, _payload(claim, at))
        if kind == ACTIVATED:
            await audit.record(
                CLAIM_LINK,
                "reward.activated",
                "delivery",
                claim.delivery_id,
                after={"issuance_id": str(claim.issuance_id), "recipient_id": str(claim.recipient_id)},
            )
    await outbox.ring([event_id])
    return at
