"""The corrective actions over GraphQL: every documented operation in graphql/operations/insight_actions
runs against the live API with its example variables; maker-checker holds between two keys; the
error codes the services raise are in the API's enum."""

import ast
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign and catalogue steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "insight_actions"))  # the action steps

from action_steps import open_review, scene  # noqa: E402
from campaign_steps import role_actor  # noqa: E402

from backend.api.insight_actions.types import CorrectiveActionErrorCode  # noqa: E402
from backend.campaigns.services import campaigns  # noqa: E402
from backend.catalog.services import offers  # noqa: E402
from backend.insights.actions.services import integrity, replacement  # noqa: E402

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations" / "insight_actions"


def operation(name: str, seeded: dict[str, str]) -> tuple[str, dict]:
    document = (OPERATIONS / f"{name}.graphql").read_text()
    line = re.search(r"^# variables: (.*)$", document, re.MULTILINE).group(1)
    return document, json.loads(re.sub(r"<(\w+)>", lambda found: seeded[found.group(1)], line))


async def run(api, key: str, name: str, seeded: dict[str, str]) -> dict:
    document, variables = operation(name, seeded)
    (result,) = (await api.data(document, variables, key=key, operation_name=name)).values()
    return result


async def rerank_naming_an_unknown_review(api, key: str, s) -> dict:
    """The documented rerank (the replacement offer before the old one), naming a review that does not exist."""
    seeded = {
        "oldOfferId": str(s.old_offer.id),
        "replacementOfferId": str(s.new_offer.id),
        "oldPartnerId": str(s.old_partner.id),
        "reviewId": "0190b2f0-0000-7000-8000-0000000000bb",
    }
    return await run(api, key, "CorrectiveRerankOffers", seeded)


async def test_each_documented_corrective_action_runs(api, make_key, admin):
    maker, checker = await make_key(name="partner ops"), await make_key(name="partner ops checker")
    s = await scene(admin, role_actor("admin", "checker@example.com"))
    review = await open_review(admin, s.programme.id)
    seeded = {
        "oldPartnerId": str(s.old_partner.id),
        "replacementPartnerId": str(s.new_partner.id),
        "oldOfferId": str(s.old_offer.id),
        "replacementOfferId": str(s.new_offer.id),
        "programmeId": str(s.programme.id),
        "reviewId": review,
    }
    assert {path.stem for path in OPERATIONS.glob("*.graphql")} == {
        "CorrectiveRerankOffers",
        "RefreshListing",
        "PreviewPromotion",
        "SendPromotion",
        "SetSegmentRouting",
        "RequestPartnerReplacement",
        "ApprovePartnerReplacement",
        "RejectPartnerReplacement",
        "WithdrawPartnerReplacement",
        "CorrectiveActions",
    }
    for name in ("CorrectiveRerankOffers", "RefreshListing", "SetSegmentRouting"):
        result = await run(api, maker, name, seeded)
        assert result["errors"] == [] and result["action"]["reviewId"] == review, (name, result)
    preview = await run(api, maker, "PreviewPromotion", seeded)
    assert (preview["recipients"], preview["errors"]) == (3, [])
    sent = await run(api, maker, "SendPromotion", seeded)
    assert sent["errors"] == [] and sent["action"]["announcementId"]

    # Reject: one admin asked in the console; the key decides.
    asked = await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    rejected = await run(api, checker, "RejectPartnerReplacement", seeded | {"pendingActionId": str(asked.id)})
    assert rejected["errors"] == [], rejected
    assert rejected["action"]["status"] == "REJECTED"

    # Request with one key; the same key may not approve; another may.
    requested = await run(api, maker, "RequestPartnerReplacement", seeded)
    assert (requested["errors"], requested["action"]["status"]) == ([], "PENDING")
    pending = seeded | {"pendingActionId": requested["action"]["id"]}
    refused = await run(api, maker, "ApprovePartnerReplacement", pending)
    assert [error["code"] for error in refused["errors"]] == ["SELF_APPROVAL"] and refused["action"] is None
    approved = await run(api, checker, "ApprovePartnerReplacement", pending)
    assert (approved["errors"], approved["action"]["status"]) == ([], "APPROVED")

    assert (await offers.get_offer(admin, s.old_offer.id)).status == "retired"
    assert s.new_offer.id in (await campaigns.get_campaign(admin, s.active_campaign.id)).allowed_offer_ids
    assert (await integrity.retired_offer_references()).clear

    # The review lists its decisions; the routed catalogue of a Retail recipient starts with the replacement.
    listed = await run(api, maker, "CorrectiveActions", seeded)
    kinds = [edge["node"]["kind"] for edge in listed["edges"]]
    assert listed["totalCount"] == len(kinds) == 5  # the rejected request was not made in the review
    assert kinds == ["PARTNER_REPLACEMENT", "PROMOTION", "SEGMENT_ROUTING", "REFRESH_LISTING", "RERANK"]
    offers_query = "query($id: ID!) { offers(filter: {eligibleFor: $id}) { edges { node { id rank } } } }"
    found = await api.data(offers_query, {"id": str(s.people[0])}, key=maker)
    assert found["offers"]["edges"][0]["node"] == {"id": str(s.new_offer.id), "rank": 1}


async def test_the_requester_withdraws_a_pending_replacement_and_no_one_else(api, make_key, admin):
    maker, checker = await make_key(name="partner ops"), await make_key(name="partner ops checker")
    s = await scene(admin, role_actor("admin", "checker@example.com"))
    seeded = {
        "oldPartnerId": str(s.old_partner.id),
        "replacementPartnerId": str(s.new_partner.id),
        "oldOfferId": str(s.old_offer.id),
        "replacementOfferId": str(s.new_offer.id),
        "reviewId": await open_review(admin, s.programme.id),
    }
    requested = await run(api, maker, "RequestPartnerReplacement", seeded)
    pending = seeded | {"pendingActionId": requested["action"]["id"]}

    refused = await run(api, checker, "WithdrawPartnerReplacement", pending)
    assert [error["code"] for error in refused["errors"]] == ["NOT_REQUESTER"] and refused["action"] is None
    assert [str(action.id) for action in await replacement.pending_replacements(admin)] == [requested["action"]["id"]]

    withdrawn = await run(api, maker, "WithdrawPartnerReplacement", pending)
    assert withdrawn["errors"] == [], withdrawn
    assert (withdrawn["action"]["status"], withdrawn["action"]["decisionNote"]) == ("REJECTED", "Slow Coffee fixed its stock")
    assert await replacement.pending_replacements(admin) == []
    assert (await offers.get_offer(admin, s.old_offer.id)).status != "retired"  # nothing else changed

    again = await run(api, maker, "WithdrawPartnerReplacement", pending)  # a replay changes nothing more
    assert [error["code"] for error in again["errors"]] == ["NO_PENDING_REPLACEMENT"] and again["action"] is None


def test_every_error_code_of_the_actions_is_in_the_api_enum():
    import backend.catalog.services.listing_refresh
    import backend.catalog.services.retirement
    import backend.catalog.services.routing
    import backend.deliveries.services.announcements
    from backend.insights.actions.services import catalogue_actions, promotion, records

    sources = (
        replacement,
        catalogue_actions,
        promotion,
        records,
        backend.catalog.services.retirement,
        backend.catalog.services.routing,
        backend.catalog.services.listing_refresh,
        backend.deliveries.services.announcements,
    )
    codes = {
        node.value
        for module in sources
        for node in ast.walk(ast.parse(Path(module.__file__).read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[A-Z][A-Z_]{2,}", node.value)
    }
    codes -= {"PROVIDER_SECRET", "NO_PROVIDER", "PROVIDER_ERROR", "MISSING_CONTACT"}  # a message's outcome, not a refusal
    assert {"SELF_APPROVAL", "REFERENCES_LEFT", "RECIPIENTS_CHANGED"} <= codes
    assert codes <= {code.name for code in CorrectiveActionErrorCode}


async def test_a_key_without_the_scope_is_refused_in_the_payload(api, make_key, admin):
    key = await make_key("catalog:read")
    s = await scene(admin, role_actor("admin", "checker@example.com"))
    result = await rerank_naming_an_unknown_review(api, key, s)
    assert [error["code"] for error in result["errors"]] == ["FORBIDDEN"]


async def test_an_action_naming_an_unknown_review_is_not_found_and_changes_nothing(api, make_key, admin):
    key = await make_key(name="partner ops")
    s = await scene(admin, role_actor("admin", "checker@example.com"))
    order = [offer.id for offer in (await offers.list_offers(admin)).rows]
    result = await rerank_naming_an_unknown_review(api, key, s)
    assert result["action"] is None
    assert [(error["field"], error["code"]) for error in result["errors"]] == [("reviewId", "NOT_FOUND")]
    assert [offer.id for offer in (await offers.list_offers(admin)).rows] == order
