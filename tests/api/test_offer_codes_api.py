"""Offers by their human code over the API: `issueReward(input: {offerCode})`, `offer(code)`, and
the reward's message in currency."""

import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue and partner steps

from catalogue_steps import onboard_to_live, role_actor

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.catalog.services import offers
from backend.core.clock import utcnow
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


async def test_a_reward_names_its_offer_by_code(api, key, admin):
    _, offer = await onboard_to_live(admin, role_actor("admin", "checker@example.com"))
    offer = await offers.change_offer_status(admin, offer.id, "live")
    programme = await recipients.create_programme(admin, "Festive", "INR", "0.25")
    await recipients.upsert_recipient(admin, RecipientInput(external_id="EMP-1", full_name="Asha", email="a@example.com"))
    campaign = await campaigns.create_campaign(
        admin,
        CampaignInput(
            programme_id=programme.id,
            name="Festive vouchers",
            currency="INR",
            allowed_offer_ids=[offer.id],
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=30),
        ),
    )
    await campaigns.activate_campaign(admin, campaign.id)
    document = (OPERATIONS / "IssueReward.graphql").read_text()

    async def issue(idempotency_key: str, **fields) -> dict:
        reward = {"campaignId": str(campaign.id), "recipientExternalId": "EMP-1", "value": 50000}
        data = await api.data(
            document, {"input": reward | {"idempotencyKey": idempotency_key} | fields}, key=key, operation_name="IssueReward"
        )
        return data["issueReward"]

    issued = await issue("k-1", offerCode=offer.code.lower())
    assert issued["status"] == "ISSUED", issued
    assert issued["message"].startswith("₹500.00 issued from 'Festive vouchers'")
    unknown = await issue("k-2", offerCode="NO-SUCH-CODE")
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("OFFER_NOT_LIVE", "offerCode")]
    other = await issue("k-3", offerCode=offer.code, offerId="01a24f5d-b461-7796-949f-7890a35f5b02")
    assert "names another offer than offerId" in other["errors"][0]["message"]

    found = await api.data(
        (OPERATIONS / "OfferByCode.graphql").read_text(), {"code": offer.code}, key=key, operation_name="OfferByCode"
    )
    assert found["offer"]["id"] == str(offer.id) and found["offer"]["code"] == offer.code
    missing = await api.data(
        (OPERATIONS / "OfferByCode.graphql").read_text(), {"code": "NOPE-1"}, key=key, operation_name="OfferByCode"
    )
    assert missing["offer"] is None
