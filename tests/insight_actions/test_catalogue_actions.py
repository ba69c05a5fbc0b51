"""Re-rank, refresh a listing and segment routing: each changes the catalogue through its own use
case, is recorded as an action and audited."""

import pytest
from action_steps import open_review, scene

from backend.catalog.services import eligibility, offers, terms
from backend.core import audit
from backend.core.authz import SYSTEM
from backend.core.errors import DomainError
from backend.insights.actions.services import catalogue_actions, records


async def _audited(action: str) -> list[dict]:
    return (await audit.search(SYSTEM, audit.AuditFilter(action=action))).rows


async def test_rerank_puts_the_offers_in_the_new_order_and_records_it(admin, checker):
    s = await scene(admin, checker)
    review = await open_review(admin, s.programme.id)
    before = [offer.id for offer in (await offers.list_offers(admin)).rows]
    action = await catalogue_actions.rerank(
        admin, [s.new_offer.id, s.old_offer.id], partner_id=s.old_partner.id, review_id=review
    )
    after = [offer.id for offer in (await offers.list_offers(admin)).rows]
    assert after.index(s.new_offer.id) < after.index(s.old_offer.id)
    assert before.index(s.old_offer.id) < before.index(s.new_offer.id)
    assert action.kind == "rerank" and str(action.review_id) == review
    assert action.before["ranks"][str(s.old_offer.id)] == action.after["ranks"][str(s.new_offer.id)]
    assert await _audited("catalogue.reranked") and await _audited("insight_action.rerank")


async def test_refresh_changes_the_creative_and_adds_a_terms_version(admin, checker):
    s = await scene(admin, checker)
    action = await catalogue_actions.refresh(
        admin,
        s.old_offer.id,
        title="Slow Coffee: now 2 for 1",
        image_url="https://cdn.example.com/new.png",
        terms="New terms v2.",
    )
    offer = await offers.get_offer(admin, s.old_offer.id)
    assert offer.title == "Slow Coffee: now 2 for 1" and offer.image_url == "https://cdn.example.com/new.png"
    assert offer.denominations == s.old_offer.denominations and offer.status == "live"
    assert (await terms.current_terms(admin, offer.id)).body == "New terms v2."
    assert action.before["title"] == "Slow Coffee e-voucher" and action.after["title"] == offer.title
    assert action.before["terms_version_id"] != action.after["terms_version_id"]
    assert "terms" in action.summary
    assert await _audited("offer.updated") and await _audited("offer.terms_revised") and await _audited("insight_action.refresh")
    with pytest.raises(DomainError) as nothing:
        await catalogue_actions.refresh(admin, s.old_offer.id)
    assert nothing.value.code == "NOTHING_TO_CHANGE"


async def test_segment_routing_reorders_the_catalogue_of_that_segment_only(admin, checker):
    s = await scene(admin, checker)
    review = await open_review(admin, s.programme.id)
    retail, logistics = s.people[0], s.people[3]

    async def order(person):
        return [offer.id for offer in await eligibility.eligible_offers(admin, person)]

    plain = await order(logistics)
    assert plain.index(s.old_offer.id) < plain.index(s.new_offer.id)  # catalogue order
    # Surface the better performer to Retail, push the poor one down for India (every one here).
    await catalogue_actions.set_segment_routing(admin, [s.new_offer.id], 'business_unit == "Retail"', 50, review_id=review)
    action = await catalogue_actions.set_segment_routing(admin, [s.old_offer.id], "country in [IN]", -30)
    assert action.after["adjustments"] == {str(s.old_offer.id): -30}
    retail_order = await order(retail)
    assert retail_order[0] == s.new_offer.id
    logistics_order = await order(logistics)
    assert logistics_order[-1] == s.old_offer.id
    routed = await eligibility.eligible_offers(admin, retail)
    assert [offer.rank for offer in routed] == list(range(1, len(routed) + 1))  # positions in the routed order
    assert len(await records.list_actions(admin, kind="segment_routing")) == 2
    in_review = await records.list_actions(admin, review_id=review)
    assert [(found.kind, found.request["adjustment"]) for found in in_review] == [("segment_routing", 50)]
    assert await _audited("offer.routing_set") and await _audited("insight_action.segment_routing")
    with pytest.raises(DomainError) as bad:
        await catalogue_actions.set_segment_routing(admin, [s.old_offer.id], "country in [IN]", 500)
    assert bad.value.code == "INVALID_ADJUSTMENT"
