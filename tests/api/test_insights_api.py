"""Partner performance over GraphQL (reports:read): the documented operations' figures, a segment,
the drill-down and trend, a bad period, and a key without the scope refused."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "insights"))  # insight_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps

from datetime import UTC, datetime

from insight_steps import make_shop

from backend.insights import events
from backend.insights.events import PerformanceEvent

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


async def test_partner_offer_and_trend_metrics_over_a_period_and_segment(api, admin, make_key):
    shop = await make_shop(admin)
    chai = shop.partners[0].id
    facts = []
    for person in range(3):  # two in India (Pune, Mumbai), one in Germany (Berlin)
        facts.append(
            PerformanceEvent(
                kind="viewed", occurred_at=datetime(2026, 10, 5 + person, tzinfo=UTC), programme_id=shop.programme_id,
                source="test", source_ref=f"v-{person}", offer_id=shop.offers[chai][0].id, recipient_id=shop.people[person],
            )
        )  # fmt: skip
    facts.append(
        PerformanceEvent(
            kind="activated", occurred_at=datetime(2026, 11, 2, tzinfo=UTC), programme_id=shop.programme_id,
            source="test", source_ref="a-0", offer_id=shop.offers[chai][1].id, recipient_id=shop.people[0],
        )
    )  # fmt: skip
    await events.record_events(facts)
    key = await make_key("reports:read")
    period = {"programmeId": str(shop.programme_id), "from": "2026-10-01", "to": "2026-11-30"}

    data = await api.data(operation("PartnerMetrics"), period | {"segment": {"country": "in"}}, key=key)
    [row] = data["partnerMetrics"]
    assert (row["partnerName"], row["views"], row["activations"], row["activationRate"]) == ("Chai Point", 2, 1, 0.5)
    assert (row["spendMinor"], row["currency"], row["spendShare"], row["lastRedemptionOn"]) == (0, "INR", None, None)

    offers = (await api.data(operation("OfferMetrics"), period | {"partnerId": str(chai)}, key=key))["offerMetrics"]
    assert [(o["offerTitle"], o["views"], o["activations"]) for o in offers] == [("Chai Point 1", 3, 0), ("Chai Point 2", 0, 1)]

    trend = (await api.data(operation("MetricsTrend"), period | {"granularity": "MONTH"}, key=key))["metricsTrend"]
    assert [(p["periodStart"], p["views"], p["activations"]) for p in trend] == [("2026-10-01", 3, 0), ("2026-11-01", 0, 1)]

    backwards = await api.errors(operation("PartnerMetrics"), period | {"from": "2026-12-01"}, key=key)
    assert "ends before it starts" in backwards[0]["message"]
    refused = await api.errors(operation("PartnerMetrics"), period, key=await make_key("catalog:read", name="catalogue"))
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_partner_reports_codes_used_once_each(api, admin, make_key):
    from test_codes_used import issued_code

    programme_id, partner_id, code = await issued_code(admin)
    key = await make_key("catalog:write", "reports:read")
    codes = {
        "input": {"partnerId": str(partner_id), "codes": [{"code": code, "usedAt": "2026-11-20T15:00:00Z"}, {"code": "NOPE"}]}
    }
    first = (await api.data(operation("ReportCodesUsed"), codes, key=key))["reportCodesUsed"]
    assert first["errors"] == [] and [(o["position"], o["status"]) for o in first["outcomes"]] == [
        (1, "RECORDED"),
        (2, "UNKNOWN_CODE"),
    ]
    again = (await api.data(operation("ReportCodesUsed"), codes, key=key))["reportCodesUsed"]
    assert [o["status"] for o in again["outcomes"]] == ["ALREADY_RECORDED", "UNKNOWN_CODE"]
    period = {"programmeId": str(programme_id), "from": "2026-11-01", "to": "2026-11-30"}
    [row] = (await api.data(operation("PartnerMetrics"), period, key=key))["partnerMetrics"]
    assert (row["redemptions"], row["spendMinor"], row["lastRedemptionOn"]) == (1, 50000, "2026-11-20")
    future = {"input": {"partnerId": str(partner_id), "codes": [{"code": code, "usedAt": "2999-01-01T00:00:00Z"}]}}
    refused = (await api.data(operation("ReportCodesUsed"), future, key=key))["reportCodesUsed"]
    assert refused["outcomes"] == [] and refused["errors"][0]["code"] == "CODES_INVALID"
    reader = await make_key("reports:read", name="reader")
    forbidden = (await api.data(operation("ReportCodesUsed"), codes, key=reader))["reportCodesUsed"]
    assert forbidden["errors"][0]["code"] == "FORBIDDEN"


async def test_offers_shown_to_a_recipient_through_the_catalogue_count_as_views(api, admin, make_key):
    from campaign_steps import make_programme, role_actor, stocked_live_offer
    from delivery_steps import person

    from backend.core import outbox, sql
    from backend.core.clock import utcnow
    from backend.insights import metrics
    from jobs.outbox import registered_handlers

    offer = await stocked_live_offer(admin, role_actor("admin", "checker@example.com"))
    programme = await make_programme()
    asha = await person("E-1", name="Asha Rao", email="asha@example.com", country="IN", hr_attributes={"location": "Pune"})
    key = await make_key("catalog:read", "recipients:read", "reports:read")
    page = """query ($recipient: ID!, $programme: ID) {
      offers(first: 10, filter: {eligibleFor: $recipient}, programmeId: $programme) { edges { node { id } } }
    }"""
    one = "query ($id: ID!, $recipient: ID, $programme: ID) { offer(id: $id, viewedBy: $recipient, programmeId: $programme) { id } }"
    shown = await api.data(page, {"recipient": str(asha.id), "programme": str(programme.id)}, key=key)
    assert [edge["node"]["id"] for edge in shown["offers"]["edges"]] == [str(offer.id)]
    await api.data(page, {"recipient": str(asha.id)}, key=key)  # no programme: nothing counted
    await api.data(one, {"id": str(offer.id), "recipient": str(asha.id), "programme": str(programme.id)}, key=key)
    unknown = await api.errors(one, {"id": str(offer.id), "recipient": str(asha.id), "programme": str(offer.id)}, key=key)
    assert "programme" in unknown[0]["message"]

    rows = await sql.fetch("SELECT id FROM outbox_events WHERE topic = 'catalog.offers_viewed'")
    assert len(rows) == 2
    for row in rows:
        assert await outbox.process(row["id"], registered_handlers()) == "done"
    today = utcnow().date()
    [figures] = await metrics.partner_figures(programme.id, today, today, metrics.Segment(location="Pune"))
    assert (figures.partner_id, figures.views) == (offer.partner_id, 2)
