"""What several benchmarks load before they measure: the ``bench-<n>`` recipients their requests
name, and the governed points campaign that issueReward is measured against.

Both run through the services with the caller's engine and pool in use. The backend is imported
inside the functions, as in the benches, so that a bench can set its environment first.
"""

from __future__ import annotations

import uuid

# The governed campaign's limits: far above what any run issues, so no request is refused for them.
MAX_REWARDS, BUDGET = 10_000_000, 10**11


async def bench_recipients(count: int) -> list[uuid.UUID]:
    """Recipients ``bench-0`` … ``bench-<count - 1>`` (upserted, so a second call finds them);
    their ids in that order."""
    from backend.core.authz import SYSTEM
    from backend.recipients import services as recipients

    ids = []
    for n in range(count):
        recipient = (
            await recipients.upsert_recipient(
                SYSTEM, recipients.RecipientInput(external_id=f"bench-{n}", full_name=f"B {n}", email=f"b{n}@example.com")
            )
        ).recipient
        ids.append(recipient.id)
    return ids


async def governed_points_campaign(programme_id: uuid.UUID):
    """An active points campaign under every governance check issueReward makes: its dates, a
    maximum count (``MAX_REWARDS``), a budget (``BUDGET``) and a per-recipient cap over a rolling
    30-day window."""
    from datetime import timedelta

    from backend.campaigns.services import campaigns
    from backend.campaigns.services.campaigns import CampaignInput
    from backend.core.authz import SYSTEM
    from backend.core.clock import utcnow

    campaign = await campaigns.create_campaign(
        SYSTEM,
        CampaignInput(
            programme_id=programme_id,
            name="Bench",
            reward_type="points",
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=30),
            max_rewards=MAX_REWARDS,
            budget=BUDGET,
            recipient_max_count=100_000,
            recipient_window_days=30,
        ),
    )
    return await campaigns.activate_campaign(SYSTEM, campaign.id)
