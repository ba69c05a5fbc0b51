"""What the documented ticket-action examples talk about: a ticket on a voucher reward of the
seeded live offer (reissueTicketCode), and one on the seeded reward whose delivery failed
(resendTicketReward)."""

from __future__ import annotations

from datetime import timedelta

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.core.clock import utcnow
from backend.recipients import services as recipients
from backend.recipients.services import RecipientInput
from backend.rewards.services.issuance import RewardRequest, issue_reward
from backend.tickets.services import intake


async def seed_ticket_actions(admin, programme_id, offer_id, failed_reward_id) -> dict[str, str]:
    campaign = await campaigns.create_campaign(
        admin,
        CampaignInput(
            programme_id=programme_id,
            name="Festive vouchers",
            reward_type="offers",
            allowed_offer_ids=[offer_id],
            currency="INR",
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=30),
        ),
    )
    await campaigns.activate_campaign(admin, campaign.id)
    ravi = await recipients.upsert_recipient(
        admin, RecipientInput(external_id="EMP-4004", full_name="Ravi Iyer", email="ravi.iyer@example.com", country="IN")
    )
    outcome = await issue_reward(
        admin, RewardRequest(campaign.id, ravi.recipient.id, offer_id, 50000, idempotency_key="seed-code")
    )
    assert outcome.status == "issued", outcome.message
    tickets = {}
    for name, reward, category in (
        ("codeTicketId", outcome.issuance_id, "code_invalid"),
        ("rewardTicketId", failed_reward_id, "not_received"),
    ):
        report = intake.TicketReport(category=category, message="Reported by phone", source="console", issuance_id=reward)
        tickets[name] = str((await intake.open_ticket(admin, report)).ticket_id)
    return tickets
