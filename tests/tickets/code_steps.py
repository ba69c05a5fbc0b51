"""A voucher reward delivered through the sandbox, and what its recipient and agent see of it."""

from __future__ import annotations

from dataclasses import dataclass

from campaign_steps import api_key_actor, make_programme, offers_campaign, stocked_live_offer
from delivery_steps import QUICK, delivery_row, handle, person

from backend.core import sql
from backend.deliveries import claim_links
from backend.deliveries.services import claims, sending
from backend.rewards.services.issuance import RewardRequest, issue_reward


@dataclass
class CodeReward:
    programme_id: object
    offer_id: object
    issuance_id: object
    delivery_id: object
    token: str


async def delivered_code_reward(admin, checker, codes: int = 5, external_id: str = "EMP-7") -> CodeReward:
    offer = await stocked_live_offer(admin, checker, codes=codes)
    programme = await make_programme("Festive club")
    campaign = await offers_campaign(admin, programme.id, [offer.id])
    asha = await person(external_id, name="Asha Rao", email="asha@example.com")
    outcome = await issue_reward(api_key_actor(), RewardRequest(campaign.id, asha.id, offer.id, 50000, idempotency_key="c-1"))
    assert outcome.status == "issued", outcome.message
    await handle(outcome.issuance_id)
    row = await delivery_row(outcome.issuance_id)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    return CodeReward(programme.id, offer.id, outcome.issuance_id, row["id"], claim_links.claim_token(row["id"]))


async def revealed_code(reward: CodeReward) -> str:
    """What the recipient sees on the claim page after the reveal."""
    return (await claims.activate_claim(reward.token)).revealed.code


async def code_rows(issuance_id) -> list:
    return list(
        await sql.fetch(
            "SELECT * FROM voucher_codes WHERE allocated_to = $1 OR voided_from = $1 ORDER BY status, id", issuance_id
        )
    )
