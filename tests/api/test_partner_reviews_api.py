"""Partner reviews through real HTTP: started once, read whole with its flagged partner, closed for
good (a second close is REVIEW_CLOSED in the payload); reports:write needed to start or close."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue steps

from catalogue_steps import TERMS, offer_input, profile

from backend.catalog.services import offers
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.insights.actions.services import catalogue_actions
from backend.insights.events import PerformanceEvent, record_event
from backend.insights.reviews import flags, thresholds
from backend.insights.reviews.months import month_text
from backend.insights.reviews.thresholds import ThresholdInput
from backend.partners.services import profiles
from backend.recipients import services as recipients

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


async def flagged_programme(admin):
    programme = await recipients.create_programme(SYSTEM, "Stars", "INR", "0.25")
    partner = await profiles.create_partner(admin, profile(name="Chai Point"))
    offer = await offers.create_offer(admin, partner.id, offer_input(title="Chai"), terms=TERMS)
    for n in range(5):
        await record_event(PerformanceEvent("viewed", utcnow(), programme.id, "test", f"v-{n}", offer_id=offer.id))
    await thresholds.set_threshold(admin, ThresholdInput(programme.id, "activation_rate", limit_value=2000))
    await flags.sweep()
    return programme, offer.id


async def test_start_read_close_and_refuse_a_second_close(api, key, make_key, admin):
    programme, offer_id = await flagged_programme(admin)
    month = month_text(utcnow().date().replace(day=1))
    started = await api.data(
        operation("StartPartnerReview"), {"input": {"programmeId": str(programme.id), "month": month}}, key=key
    )
    payload = started["startPartnerReview"]
    assert payload["errors"] == [] and payload["created"] is True
    assert (payload["review"]["month"], payload["review"]["flaggedCount"]) == (month, 1)
    again = await api.data(
        operation("StartPartnerReview"), {"input": {"programmeId": str(programme.id), "month": month}}, key=key
    )
    assert again["startPartnerReview"]["created"] is False
    assert again["startPartnerReview"]["review"]["id"] == payload["review"]["id"]

    await catalogue_actions.refresh(admin, offer_id, title="Chai: two for one", review_id=payload["review"]["id"])
    review = (await api.data(operation("PartnerReview"), {"id": payload["review"]["id"]}, key=key))["partnerReview"]
    [action] = review["actions"]
    assert (action["kind"], action["status"], action["summary"]) == (
        "REFRESH_LISTING",
        "DONE",
        "Refreshed 'Chai: two for one': title",
    )
    [line] = review["lines"]
    assert (line["partnerName"], line["flagged"], line["current"]["views"], line["current"]["activationRateBp"]) == (
        "Chai Point",
        True,
        5,
        0,
    )
    assert line["flags"][0]["metric"] == "ACTIVATION_RATE" and line["flags"][0]["limitValue"] == 2000
    [flag] = (await api.data(operation("PartnerFlags"), {"programmeId": str(programme.id)}, key=key))["partnerFlags"]
    assert flag["description"] == "Activation rate below 20.0 % over 30 days: 0.0 %"

    reader = await make_key("reports:read", name="dashboards")
    refused = await api.data(operation("ClosePartnerReview"), {"input": {"reviewId": payload["review"]["id"]}}, key=reader)
    assert refused["closePartnerReview"]["errors"][0]["code"] == "FORBIDDEN"
    close = {"input": {"reviewId": payload["review"]["id"], "note": "done"}}
    closed = (await api.data(operation("ClosePartnerReview"), close, key=key))["closePartnerReview"]
    assert closed["errors"] == [] and closed["review"]["status"] == "CLOSED"
    twice = (await api.data(operation("ClosePartnerReview"), close, key=key))["closePartnerReview"]
    assert twice["review"] is None
    assert twice["errors"][0]["code"] == "REVIEW_CLOSED" and "can no longer change" in twice["errors"][0]["message"]

    bad = await api.data(
        operation("StartPartnerReview"), {"input": {"programmeId": str(programme.id), "month": "11/2026"}}, key=key
    )
    assert bad["startPartnerReview"]["errors"][0]["code"] == "INVALID_MONTH"
    listed = (await api.data(operation("PartnerReviews"), {"programmeId": str(programme.id)}, key=reader))["partnerReviews"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["status"] == "CLOSED"
