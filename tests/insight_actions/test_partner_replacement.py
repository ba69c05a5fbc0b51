"""Replace a partner, maker-checker: after approval nothing running points at a retired offer, and
issuing from a retired offer is refused."""

import pytest
from action_steps import open_review, scene

from backend.campaigns.services import campaigns
from backend.catalog.services import offers, routing
from backend.core import audit
from backend.core.authz import SYSTEM
from backend.core.errors import DomainError
from backend.insights.actions.services import integrity, records, replacement
from backend.rewards.services.issuance import RewardRequest, issue_reward
from backend.rewards.services.rejections import RejectionCode


async def test_approval_moves_everything_to_the_replacement_and_retires_the_old_offers(admin, checker):
    s = await scene(admin, checker)
    old_rank = (await offers.get_offer(admin, s.old_offer.id)).rank
    requested = await replacement.request_replacement(
        admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id}, note="under-performing", review_id=None
    )
    assert requested.status == "pending"
    assert [action.id for action in await replacement.pending_replacements(admin)] == [requested.id]

    approved = await replacement.approve_replacement(checker, requested.id, note="agreed")

    assert approved.status == "approved" and approved.decided_by_label == "checker@example.com"
    old = await offers.get_offer(admin, s.old_offer.id)
    new = await offers.get_offer(admin, s.new_offer.id)
    assert old.status == "retired"
    assert new.rank == old_rank  # the replacement took the old offer's ranking position
    active = await campaigns.get_campaign(admin, s.active_campaign.id)
    scheduled = await campaigns.get_campaign(admin, s.scheduled_campaign.id)
    assert s.old_offer.id not in active.allowed_offer_ids and s.new_offer.id in active.allowed_offer_ids
    assert list(scheduled.allowed_offer_ids) == [s.new_offer.id]
    assert [(route.offer_id, route.segment_rule) for route in await routing.routes(admin)] == [
        (s.new_offer.id, 'business_unit == "Retail"')
    ]
    left = await integrity.retired_offer_references()
    assert left.clear, left

    # Never offered again: issuance refuses the retired offer.
    outcome = await issue_reward(admin, RewardRequest(s.active_campaign.id, s.people[0], s.old_offer.id, 50000, "after-retire"))
    assert outcome.rejection in (RejectionCode.OFFER_NOT_ALLOWED, RejectionCode.OFFER_NOT_LIVE)
    issued = await issue_reward(admin, RewardRequest(s.active_campaign.id, s.people[0], s.new_offer.id, 50000, "replacement"))
    assert issued.status == "issued", issued.message

    # Audited: the action, the retirement and the campaign change.
    actions = {row["action"] for row in (await audit.search(SYSTEM, audit.AuditFilter(), limit=500)).rows}
    assert {
        "insight_action.partner_replacement_pending",
        "insight_action.partner_replacement_approved",
        "offer.retired",
        "campaign.offers_replaced",
        "offer.routing_moved",
    } <= actions


async def test_the_requester_cannot_approve_or_reject_their_own_request(admin, checker):
    s = await scene(admin, checker)
    requested = await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    for decide in (
        lambda: replacement.approve_replacement(admin, requested.id),
        lambda: replacement.reject_replacement(admin, requested.id, "no"),
    ):
        with pytest.raises(DomainError) as refused:
            await decide()
        assert refused.value.code == "SELF_APPROVAL"
        assert "second admin" in refused.value.errors[0].message
    assert (await offers.get_offer(admin, s.old_offer.id)).status == "live"
    with pytest.raises(DomainError) as not_theirs:  # the checker rejects; only the maker withdraws
        await replacement.withdraw_replacement(checker, requested.id)
    assert not_theirs.value.code == "NOT_REQUESTER"
    rejected = await replacement.reject_replacement(checker, requested.id, "keep them one more month")
    assert rejected.status == "rejected"
    assert (await offers.get_offer(admin, s.old_offer.id)).status == "live"
    with pytest.raises(DomainError) as again:
        await replacement.approve_replacement(checker, requested.id)
    assert again.value.code == "NO_PENDING_REPLACEMENT"


async def test_a_request_is_checked_before_it_waits(admin, checker):
    s = await scene(admin, checker)
    with pytest.raises(DomainError) as unmapped:
        await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {})
    assert unmapped.value.code == "OFFERS_UNMAPPED"
    with pytest.raises(DomainError) as wrong_way:
        await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.old_offer.id})
    assert "NOT_THE_PARTNERS_OFFER" in {error.code for error in wrong_way.value.errors}
    await offers.change_offer_status(admin, s.new_offer.id, "paused")
    with pytest.raises(DomainError) as paused:
        await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    assert paused.value.code == "REPLACEMENT_NOT_LIVE"
    await offers.change_offer_status(admin, s.new_offer.id, "live")
    await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    with pytest.raises(DomainError) as twice:
        await replacement.request_replacement(checker, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    assert twice.value.code == "REPLACEMENT_ALREADY_REQUESTED"


async def test_the_review_lists_its_decisions(admin, checker):
    s = await scene(admin, checker)
    review_id = await open_review(admin, s.programme.id)
    requested = await replacement.request_replacement(
        admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id}, review_id=review_id
    )
    found = await records.list_actions(admin, review_id=requested.review_id)
    assert [action.id for action in found] == [requested.id]
    assert str(found[0].review_id) == review_id


async def test_two_checkers_approving_at_once_replace_once(admin, checker):
    import asyncio

    from campaign_steps import role_actor

    s = await scene(admin, checker)
    requested = await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    results = await asyncio.gather(
        replacement.approve_replacement(checker, requested.id),
        replacement.approve_replacement(role_actor("admin", "third@example.com"), requested.id),
        return_exceptions=True,
    )
    approved = [result for result in results if not isinstance(result, Exception)]
    refused = [result for result in results if isinstance(result, Exception)]
    assert len(approved) == 1 and len(refused) == 1
    assert isinstance(refused[0], DomainError) and refused[0].code == "NO_PENDING_REPLACEMENT"
    retired = (await audit.search(SYSTEM, audit.AuditFilter(action="offer.retired"))).total
    assert retired == 1
    assert (await integrity.retired_offer_references()).clear


async def test_the_maker_withdraws_their_request_and_may_ask_again(admin, checker):
    s = await scene(admin, checker)
    requested = await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    withdrawn = await replacement.withdraw_replacement(admin, requested.id, "wrong successor")
    assert (withdrawn.status, withdrawn.decision_note) == ("rejected", "wrong successor")
    assert await replacement.pending_replacements(admin) == []
    history = [row["action"] for row in await audit.entity_history(admin, "insight_action", requested.id)]
    assert history[0] == "insight_action.partner_replacement_withdrawn"
    again = await replacement.request_replacement(admin, s.old_partner.id, s.new_partner.id, {s.old_offer.id: s.new_offer.id})
    assert again.status == "pending"
