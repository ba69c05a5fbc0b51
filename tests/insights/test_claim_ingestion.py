"""The claim page's view and activation reach partner performance through the outbox: the worker's
handler records each once per delivery, with the recipient's segment, and a replay counts once."""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps

from campaign_steps import api_key_actor, make_programme, offers_campaign, role_actor, stocked_live_offer
from delivery_steps import QUICK, delivery_row, handle, person

from backend.core import outbox, sql
from backend.core.clock import utcnow
from backend.core.outbox import Event
from backend.deliveries import claim_links
from backend.deliveries.services import claims, sending
from backend.insights import metrics
from backend.insights.segments import Segment
from backend.rewards.services.issuance import RewardRequest, issue_reward
from jobs import insights as insight_jobs
from jobs.outbox import registered_handlers


async def test_a_claim_view_and_activation_count_once_for_the_offer_s_partner(db, admin):
    offer = await stocked_live_offer(admin, role_actor("admin", "checker@example.com"))
    programme = await make_programme()
    campaign = await offers_campaign(admin, programme.id, [offer.id])
    asha = await person("E-1", name="Asha Rao", email="asha@example.com", country="IN", hr_attributes={"department": "Sales"})
    outcome = await issue_reward(api_key_actor(), RewardRequest(campaign.id, asha.id, offer.id, 50000, idempotency_key="o-1"))
    await handle(outcome.issuance_id)
    row = await delivery_row(outcome.issuance_id)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    token = claim_links.claim_token(row["id"])
    await claims.open_claim(token)
    await claims.activate_claim(token)

    events = await sql.fetch(
        "SELECT id, topic, payload FROM outbox_events WHERE topic IN ('reward.claim_viewed', 'reward.activated') ORDER BY topic"
    )
    assert len(events) == 2
    for event in events:
        assert await outbox.process(event["id"], registered_handlers()) == "done"
    # At-least-once: the same event handed over again (a relay after Redis forgot it) records nothing.
    for event in events:
        payload = event["payload"] if isinstance(event["payload"], dict) else json.loads(event["payload"])
        await insight_jobs.record_claim_event(Event(event["id"], event["topic"], payload, 1))

    today = utcnow().date()
    [figures] = await metrics.partner_figures(programme.id, today, today)
    assert (figures.partner_id, figures.views, figures.activations, figures.redemptions) == (offer.partner_id, 1, 1, 0)
    assert figures.activation_rate == 1.0
    [same] = await metrics.partner_figures(programme.id, today, today, Segment(country="IN", department="Sales"))
    assert same.views == 1
    assert (await sql.fetchrow("SELECT COUNT(*) AS n FROM insight_events"))["n"] == 2
